// Ports for the processes the grader starts with PORT set (learner servers, Redis).
//
// A port is chosen free and handed to a process that binds it a moment (under load, seconds) later.
// In that gap anything else on the machine may take it: another app of this run, another grader run,
// an outgoing connection. The grader would then talk to someone else's server and judge the wrong
// process. Two defences:
// - ports come from below the range the operating system hands out by itself (listen on port 0,
//   outgoing connections), so only another grader choosing the same way can collide;
// - where the system shows who listens on a port (Linux /proc), the grader confirms it is the
//   process it started, and starts it again on another port when it is not.
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import net from 'node:net';

/** The lowest port the grader uses: above every port fetch() refuses to talk to (the highest is 10080). */
const LOWEST = 11_000;

/**
 * The first port the operating system hands out by itself: Linux says (32768 by default); macOS,
 * Windows and the BSDs start at 49152.
 */
function firstEphemeralPort(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && low > LOWEST + 1000) return low;
  } catch {
    // not Linux
  }
  return process.platform === 'linux' ? 32_768 : 49_152;
}

const ceiling = firstEphemeralPort();

/** A port no one listens on now, chosen at random below the ephemeral range. */
export async function pickPort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (ceiling - LOWEST));
    if (await canListen(port)) return port;
    if (attempt === 50) throw new Error(`Found no free port between ${LOWEST} and ${ceiling}.`);
  }
}

/** Whether a server could listen on the port on every address, as app.listen(port) does. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/**
 * Whether the process group `group` (a process the grader started, and what it started) holds the
 * listening socket on `port`: false when another process does, undefined when no one listens on it
 * or the system does not tell (anything but Linux).
 */
export function listenerIsOwn(port: number, group: number): boolean | undefined {
  const sockets = listeningSockets(port);
  if (!sockets?.size) return undefined;
  const holds = (pid: number) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return sockets.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
        } catch {
          return false; // closed meanwhile
        }
      });
    } catch {
      return false; // gone meanwhile
    }
  };
  return holds(group) || groupMembers(group).some(holds);
}

/** The `socket:[inode]` names of the sockets listening on a port. */
function listeningSockets(port: number): Set<string> | undefined {
  const all = listeners();
  return all && new Set([...all].filter(([, listening]) => listening === port).map(([name]) => name));
}

/**
 * Every listening TCP socket, as its `socket:[inode]` name and port, from /proc/net/tcp and tcp6. The
 * kernel lists listening sockets first, then walks every connection's bucket, which takes
 * milliseconds of system time: the table is read in small pieces and no further than the listeners.
 */
export function listeners(): Map<string, number> | undefined {
  const found = new Map<string, number>();
  const chunk = Buffer.alloc(16 * 1024);
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let fd: number;
    try {
      fd = openSync(table, 'r');
    } catch {
      if (table.endsWith('6')) continue;
      return undefined;
    }
    try {
      let rest = '';
      let heading = true;
      reading: for (let read; (read = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) {
        const lines = (rest + chunk.toString('latin1', 0, read)).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          if (heading) {
            heading = false;
            continue;
          }
          // local_address is fields[1] (ADDRESS:PORT in hex), st is fields[3] (0A: LISTEN; 03, SYN_RECV,
          // sits among them on old kernels), inode is fields[9]
          const fields = line.trim().split(/\s+/);
          if (fields[3] !== '0A' && fields[3] !== '03') break reading;
          if (fields[3] === '0A') found.set(`socket:[${fields[9]}]`, parseInt(fields[1]!.split(':')[1]!, 16));
        }
      }
    } finally {
      closeSync(fd);
    }
  }
  return found;
}

/** Processes of a process group other than its leader. */
function groupMembers(group: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === group) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === group) members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

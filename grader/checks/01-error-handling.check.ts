import http, { STATUS_CODES } from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { CannotJudge, CheckFailure, expectThat, fail, show } from '../support/expect.js';
import { ANSWER_TIMEOUT_MS, expectJsonType, expectStatus, header, type Client, type Reply, type RequestOptions, type SentRequest } from '../support/http.js';
import { delay, lesson, type FailureAbout, type RunningServer } from '../support/lesson.js';
import { parseLine, pollFor, stringsOf } from '../support/logs.js';

interface ServerError extends RequestOptions {
  path: string;
  /** The request as the learner would type it. */
  label: string;
  /** What the error itself says, as its log line holds it. */
  says: RegExp;
  /**
   * The first frame of the error's own stack, the one that says where it was made (not the handler that
   * logs it, nor a new error made from it): a line, and for the middleware the frame below it too.
   */
  thrownAt: RegExp;
  /** The frame below that one, when the stack has it: who called the code that threw. */
  calledBy?: RegExp;
  /** How many frames its stack holds at least (Node keeps 10 at most by default): fewer is a stack cut short. */
  frames: number;
  /** Where that is, in words. */
  where: string;
}

/** The four ways a request fails on the server: a sync throw, a rejected promise, a middleware throw, a callback error. */
const serverErrors: ServerError[] = [
  {
    path: '/books/2/cover',
    label: 'GET /books/2/cover',
    says: /Unexpected end of JSON input|JSON at position|Expected property name/,
    thrownAt: /^\s*at JSON\.parse\b/,
    frames: 10,
    where: 'JSON.parse in the cover route',
  },
  {
    path: '/reports/sales',
    label: 'GET /reports/sales',
    // The whole message: a log that masks part of it (the address, the numbers) loses what went wrong (red team 01 r10).
    says: /connect ECONNREFUSED 10\.0\.3\.7:5432/,
    thrownAt: /^\s*at [^\n]*\bcatalog\.[cm]?[jt]s:\d+/,
    // Its only frame below the await, unless the route awaits it (an async frame then).
    frames: 1,
    where: 'salesReport in src/catalog.ts',
  },
  {
    path: '/books',
    label: 'GET /books with X-Shop: atlantis',
    headers: { 'X-Shop': 'atlantis' },
    says: /Cannot read propert(y|ies)/,
    // The middleware's own frame, called by the router as an ordinary layer (a handler is called by handleError).
    thrownAt: /^\s*at (?![^\n]*node_modules)[^\n]*:\d+:\d+\)?[ \t]*$/,
    calledBy: /^\s*at Layer\.handle(Request)?\b/,
    frames: 10,
    where: 'the currency middleware',
  },
  {
    path: '/books/3/stock',
    label: 'GET /books/3/stock',
    says: /Warehouse B timed out looking up book 3\b/,
    thrownAt: /^\s*at [^\n]*\bcatalog\.[cm]?[jt]s:\d+/,
    // Made in a timer: the timer's frame, then Node's listOnTimeout and processTimers.
    calledBy: /^\s*at listOnTimeout\b/,
    frames: 3,
    where: "the warehouse client's callback in src/catalog.ts",
  },
];
const [sync, rejected, middleware, callback] = serverErrors as [ServerError, ServerError, ServerError, ServerError];

/**
 * What no part of a server error's answer (body, reason phrase, headers) may reveal: the messages and
 * details of the four errors, a stack frame, a file path, an error class name. Ordinary prose ("write to
 * us at support@example.com (quote the time)", "Internal Server Error: try again") is none of these.
 */
const internals: [RegExp, string][] = [
  // A V8 frame: "at fn (/app/src/x.js:3:9)", "at file:///app/x.ts:3:9", "at node:internal/x:95:5".
  [/\bat [^\n]{0,160}?(\.[cm]?[jt]sx?|node:[\w/.-]+):\d+:\d+/, 'a stack frame'],
  [/node_modules|file:\/\/|\/src\/|\/[\w.-]+\.[cm]?[jt]sx?\b/, 'a file path'],
];
const leaks: [RegExp, string][] = [
  [/connect ECONNREFUSED/i, 'the error message (the database connection error)'],
  [/10\.0\.3\.7|\b5432\b/, "the database's address, from the error"],
  [/ECONNREFUSED/i, "the error's code (err.code)"],
  [/Warehouse B|timed out looking/i, 'the error message (the warehouse timeout)'],
  [/Unexpected end of JSON|JSON input|JSON at position|Expected property name/i, 'the error message (the JSON parse error)'],
  [/Cannot read propert|undefined \(reading|reading 'currency'/i, 'the error message (the TypeError)'],
  ...internals,
  [/\b(SyntaxError|TypeError|RangeError|ReferenceError)\b/, 'an error class name'],
];

/** Each part of an answer that may leak, named as the learner reads it: [name, text, text as searched]. */
function answerParts(reply: Reply): [string, string, string][] {
  const parts: [string, string, string][] = [
    ['body', reply.text, reply.text],
    ['status line', reply.statusMessage ?? '', reply.statusMessage ?? ''],
  ];
  for (const name of Object.keys(reply.headers)) {
    // A header value is often percent-encoded to fit (connect%20ECONNREFUSED): read it decoded as well.
    const value = header(reply, name) ?? '';
    if (name !== 'content-length') parts.push([`${name} header`, value, `${value}\n${decoded(value)}`]);
  }
  // Trailers, sent after a chunked body (Trailer: X-Error-Detail), reach the client as headers do (red team 01 r8).
  for (const [name, value = ''] of Object.entries(reply.trailers ?? {})) parts.push([`${name} trailer`, value, `${value}\n${decoded(value)}`]);
  return parts;
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function requestLine(request: Reply['request']): string {
  const headers = Object.entries(request.headers).filter(([name]) => name !== 'Content-Type');
  return `${request.method} ${request.path}${headers.length ? ` with ${headers.map(([name, value]) => `${name}: ${value}`).join(' and ')}` : ''}`;
}

/** Like expectJsonType, naming the request's headers and the mode: what the Accept header asked for is part of the cause. */
function expectJsonAnswer(reply: Reply, mode = ''): void {
  const type = header(reply, 'content-type');
  expectThat(
    /^application\/([\w.+-]+\+)?json\b/i.test(type ?? ''),
    `Expected ${requestLine(reply.request)}${mode} to answer with a JSON content type, got ${show(type)} (body ${show(reply.text, 60)}). ` +
      'Every answer of this API is JSON, in every mode and whatever the Accept header asks for.',
  );
}

function expectGenericServerError(reply: Reply, mode = '', cause = ''): void {
  // Details shown when NODE_ENV is unset: most often app.get('env'), which Express sets to 'development' then.
  const switched = reply.request.path.includes('?') || Object.keys(reply.request.headers).some((name) => !['X-Shop', 'Content-Type'].includes(name));
  // The mode's hint only for a leak in the body: a header that leaks does so whatever the mode (red team 01 r6).
  const modeHint =
    cause || switched || mode
      ? ''
      : " With NODE_ENV unset, Express's app.get('env') (req.app.get('env')) says 'development': if you show details while you develop, test process.env.NODE_ENV === 'development' itself.";
  cause ||= switched ? ' Nothing the request says turns details on: not a query string, a header, a cookie, the host it was sent to or the Accept header.' : '';
  expectThat(
    reply.status < 400 || reply.status >= 500,
    `Expected ${requestLine(reply.request)}${mode} to answer 500, got ${reply.status}. This request fails on the server, not because of anything the client sent: ` +
      'the four failures stand for ones you cannot prevent (src/catalog.ts and the currency middleware are not yours to change), so leave them in place and answer them as server errors. ' +
      "Only an error that carries a 4xx status (err.status, as express.json()'s do) is the client's.",
  );
  expectStatus(reply, 500);
  expectJsonAnswer(reply, mode);
  // A reason phrase chosen per error ("500 Upstream Unavailable") tells the client which one it was.
  expectThat(
    reply.statusMessage === STATUS_CODES[500],
    `Expected the answer to ${requestLine(reply.request)}${mode} to have the status line every 500 has, "500 ${STATUS_CODES[500]}", got "500 ${reply.statusMessage ?? ''}". ` +
      'The reason phrase reaches the client too: leave res.statusMessage alone, so that no server error tells the client anything the others do not.',
  );
  for (const [part, text, searched] of answerParts(reply)) {
    for (const [pattern, what] of leaks) {
      const found = searched.match(pattern);
      expectThat(
        !found,
        `Expected the answer to ${requestLine(reply.request)}${mode} to say nothing about the error, got the ${part} that reveals ${what}: ${show(found?.[0])} in ${show(text, 80)}.` +
          (part === 'body' ? '' : ' Headers, trailers and the status line reach the client too: keep the details in your log.') +
          cause +
          (part === 'body' ? modeHint : ''),
      );
    }
  }
}

/**
 * A client error's answer (a 4xx) may say what was wrong with the request, as an http-errors error
 * with expose set does ("request entity too large"), but nothing about the server's code.
 */
function expectNothingInternal(reply: Reply, why: string, cause = ''): void {
  for (const [part, text, searched] of answerParts(reply)) {
    for (const [pattern, what] of internals) {
      const found = searched.match(pattern);
      expectThat(
        !found,
        `Expected the ${reply.status} answer to ${requestLine(reply.request)} (${why}) to say nothing about your server's code, got the ${part} that reveals ${what}: ${show(found?.[0])} in ${show(text, 80)}. ` +
          'A client error may say what was wrong with the request (err.message when err.expose is true), never the stack or a file path: every error answer, whatever its status, is built from fields you choose.' +
          cause,
      );
    }
  }
}

/** The Accept header a browser sends when it opens a page. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/**
 * The same request as a browser or a curious client sends it: a debug switch in the query string or in a
 * header or a cookie, an Accept header that prefers HTML, text or XML or takes anything, a Host that says
 * localhost (a developer's own machine). Nothing the request says may turn details on, nor the answer from JSON.
 */
const curious: { query: string; accept: string; headers?: Record<string, string> }[] = [
  // A browser of staff who set a debug cookie: a cookie is as much the client's to set as a query string.
  { query: '?debug=1&stack=1&verbose=1&trace=1', accept: BROWSER_ACCEPT, headers: { Cookie: 'debug=1; stack=1; verbose=1; trace=1; admin=1; role=admin' } },
  { query: '?debug=true&details=true', accept: '*/*', headers: { Cookie: 'debug=true; show_errors=on', 'X-Debug': 'on', 'X-Admin': 'true' } },
  { query: '?debug', accept: 'text/html' },
  { query: '', accept: 'text/plain', headers: { Host: 'localhost', 'X-Debug': '1', 'X-Debug-Mode': 'true', 'X-Verbose': '1', 'X-Show-Errors': '1', Debug: 'true', Cookie: 'debug' } },
  { query: '?format=xml', accept: 'application/xml, text/plain;q=0.9', headers: { Host: 'localhost:3000', 'X-Debug': 'true', 'X-Stack': '1', 'X-Forwarded-For': '127.0.0.1', Cookie: 'DEBUG=yes' } },
];

/** One server error asked for plainly, then in each curious way, each answer judged as it comes. */
async function askEveryWay(app: Client, error: ServerError, judge: (reply: Reply, error: ServerError) => void): Promise<void> {
  const { path, headers } = error;
  judge(await app.get(path, { headers }), error);
  for (const { query, accept, headers: more } of curious) judge(await app.get(path + query, { headers: { ...headers, Accept: accept, ...more } }), error);
}

/**
 * The four server errors, asked for one after another (each in every curious way too, when asked) and
 * each judged as it comes: the callback error, last, may take the app down, and what the others show
 * is the better message.
 */
async function eachServerError(app: Client, judge: (reply: Reply, error: ServerError) => void, everyWay = false): Promise<void> {
  for (const error of serverErrors) {
    if (everyWay) await askEveryWay(app, error, judge);
    else judge(await app.get(error.path, { headers: error.headers }), error);
  }
}

/** A 500 answer as the body check keeps it: when it came, and in which mode. */
interface Seen500 {
  reply: Reply;
  mode: string;
  at: number;
}

/**
 * Whether a body that changes with time (a timestamp in seconds, a minute's counter) shows: the earliest
 * 500 to compare with must be more than a second old. The body check waits out the rest when it runs alone.
 */
const BODY_SPAN_MS = 1_100;

/**
 * A date or a time in a body: one that changes only by the day, the hour or the minute (2026-12-06, 23:44,
 * "Dec 6 2026", this year) is the same in the seconds a grade compares bodies over, and still differs at
 * another time of day (red team 01 r8); an epoch within a year of now, in seconds or milliseconds, too.
 */
function timeIn(text: string): string | undefined {
  const now = Date.now();
  const years = [new Date(now).getUTCFullYear(), new Date(now - 86_400_000).getUTCFullYear()];
  const found =
    /\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{1,2}:\d{2}(?::\d{2})?\b/.exec(text)?.[0] ??
    text.match(/\b\d+\b/g)?.find((digits) => years.includes(Number(digits)) || [now / 1000, now].some((at) => Math.abs(Number(digits) - at) < 366 * 86_400 * (at === now ? 1000 : 1)));
  return found;
}

/** Fails unless this 500 has byte-for-byte the body of the first one, and holds no date or time. */
function expectSameBody(first: Seen500, reply: Reply, mode: string): void {
  expectStatus(reply, 500);
  const time = timeIn(reply.text);
  expectThat(
    time === undefined,
    () =>
      `Expected every server error to answer exactly the same body at any time, got ${show(time)}, a date or a time, in ${show(reply.text, 80)} for ${requestLine(reply.request)}${mode}. ` +
      'A body that holds the day, the hour or a timestamp differs from one moment to the next: keep the time in your log, where a log line can be found by it, and out of the answer.',
  );
  expectThat(
    reply.text === first.reply.text,
    () =>
      `Expected every server error to answer exactly the same body, in every mode and at any time, got ${show(first.reply.text, 60)} for ${requestLine(first.reply.request)}${first.mode} ` +
      `and ${show(reply.text, 60)} for ${requestLine(reply.request)}${mode}, ${((Date.now() - first.at) / 1000).toFixed(1)} s later. ` +
      'Build the 5xx body in one place, from nothing the error, the mode (NODE_ENV), the time or the request says: a timestamp, a counter or a hint shown outside production makes one 500 tell the client something another does not.',
  );
}

/**
 * Headers that rightly differ from one answer to the next (the date, the length) or that the connection
 * check judges: any other header must not tell one server error from another.
 */
const TRANSPORT_HEADERS = new Set(['date', 'content-length', 'etag', 'last-modified', 'age', 'expires', 'connection', 'keep-alive', 'transfer-encoding']);

/**
 * What one server error's answers say in a header, asked several times: its value when it is the same
 * each time ("(none)" when absent every time), or, when it changes with each request (a request id, a
 * jittered Retry-After), its shape: the part all the values share at the start and at the end, cut at a
 * separator and before any digit (a random or time-made part is masked as "…"). Undefined when it is
 * present on some answers only.
 */
function headerShape(values: (string | undefined)[]): string | undefined {
  if (values.every((value) => value === values[0])) return values[0] ?? '(none)';
  if (values.some((value) => value === undefined)) return undefined;
  const texts = values as string[];
  let prefix = texts.reduce((a, b) => a.slice(0, [...a].findIndex((char, index) => char !== b[index]) >>> 0));
  let suffix = texts.reduce((a, b) => {
    let n = 0;
    while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
    return a.slice(a.length - n);
  });
  // Letters and digits next to the part that changes may be its own, shared by chance: cut them off.
  prefix = prefix.replace(/\d[\s\S]*$/, '').replace(/[A-Za-z]+$/, '');
  suffix = suffix.replace(/^[\s\S]*\d/, '').replace(/^[A-Za-z]+/, '');
  return `${prefix}…${suffix}`;
}

/**
 * Fails when a header follows the error: present on one server error's answers and not on another's, or
 * with a value (or, when it changes with each request, a shape) that is the same each time one server
 * error is asked, in every mode, and not the same for two of them (an X-Error-Category, a Retry-After on
 * one error only, a random id whose prefix tells an outage from a bug). A value that changes with each
 * request in the same way for all (a request id) says nothing about the error and passes.
 */
function expectSameHeaders(answers: Map<ServerError, Reply[]>): void {
  const names = new Set([...answers.values()].flat().flatMap((reply) => Object.keys(reply.headers)).filter((name) => !TRANSPORT_HEADERS.has(name)));
  for (const name of names) {
    // Only errors asked at least twice tell a value that follows the error from one that follows the request.
    const shapes = [...answers]
      .filter(([, replies]) => replies.length > 1)
      .map(([error, replies]) => ({ error, replies, shape: headerShape(replies.map((reply) => header(reply, name))) }))
      .filter(({ shape }) => shape !== undefined);
    const a = shapes[0];
    const b = shapes.find(({ shape }) => shape !== a?.shape);
    if (!a || !b) continue;
    const said = ({ replies, shape }: (typeof shapes)[number]) => {
      const values = [...new Set(replies.map((reply) => header(reply, name) ?? '(none)'))];
      return values.length === 1 ? show(values[0]) : `${show(shape)} (${values.slice(0, 3).map((value) => show(value)).join(', ')}${values.length > 3 ? ', …' : ''})`;
    };
    fail(
      `Expected every server error to answer with the same headers, got ${name}: ${said(a)} for ${a.error.label} and ${said(b)} for ${b.error.label}, each time they were asked. ` +
        'A header that is there for one error and not another, or whose value (its fixed part, beside a random id) differs with the error, tells the client which failure it was, as the body would: ' +
        'the details belong in your log, not in a header. Answer every 5xx with the same headers.',
    );
  }
}
/**
 * How the log holds a server error: with its own whole stack, its own stack cut short (its first frames
 * only), a stack from elsewhere, its message alone, its stack alone, or not at all.
 */
type Logged = 'own stack' | 'cut stack' | 'other stack' | 'message only' | 'stack only' | 'nothing';
const RANK: Logged[] = ['nothing', 'stack only', 'message only', 'other stack', 'cut stack', 'own stack'];
/** A frame line, as V8 prints it. */
const FRAME_LINE = /^\s*at \S/;

/** A frame line with a position ("at fn (file:3:9)"). */
const FRAME = /(^|\n)\s*at [^\n]*:\d+/;
/** A frame written on the line before it ("… | at fn (file:3:9)", logfmt): split onto a line of its own. */
const FRAME_ON_ONE_LINE = /(?<=\S)[ \t]*[|;,]?[ \t]+at (?=(?:(?:new|async) )?[^\s()]+ (?:\[as [^\]]+\] )?\(|[^\s()]+:\d+:\d+)/g;

/** The warning winston prints when it is asked to log without a transport. */
const NO_TRANSPORT = /\[winston\] Attempt to write logs with no transports/;

/**
 * A line of a multi-line string as util.inspect() prints it inside an object (console.error({ stack })):
 * `  stack: 'Error: boom\n' +`, then `    '    at fn (file:3:9)\n' +`: the string's text, so that the
 * stack it holds reads as one (red team 01 r5). Any other line is left as it is.
 */
function unquoted(line: string): string {
  const quoted = /^\s*(?:[\w$]+: )?(['"`])(.*)\1(?: \+|,)?$/.exec(line);
  // Each piece ends with the newline it was cut at (\n): the lines it holds are the string's lines.
  return quoted ? quoted[2]!.replace(/\\n$/, '').replace(/\\(['"`\\])/g, '$1') : line;
}

/**
 * The log in pieces that each may tell one error: a JSON line (its decoded strings), or a text line that
 * names something and the frames printed below it (or on it, separated, or with escaped newlines).
 */
function logPieces(output: string): { pieces: string[]; text: string } {
  const pieces: string[] = [];
  const plain: string[] = [];
  // Colours (util.inspect(err, { colors: true }), a colourising format) are not part of what a line says.
  for (const line of output.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
    // winston's warning that a logger has no transport quotes the entry it dropped, for the first 16
    // only (red team 01 r4): a warning about a misconfigured logger is not the log.
    if (NO_TRANSPORT.test(line)) continue;
    // The grader's own lines (the uncaught preload's notes) are not the app's log.
    if (line.startsWith('[grader] ')) continue;
    const entry = parseLine(line);
    // A JSON logger keeps the stack in one line, its newlines escaped: read the decoded strings.
    if (entry.fields) pieces.push(stringsOf(entry).join('\n'));
    // A text line may still quote a stack with escaped newlines (winston's simple()) or on one line (logfmt).
    else plain.push(...unquoted(line).replace(/\\n/g, '\n').replace(FRAME_ON_ONE_LINE, '\n    at ').split('\n'));
  }
  // Printed: a line, then the frames on the lines below it.
  plain.forEach((line, index) => {
    if (/^\s*at \S/.test(line)) return;
    let end = index + 1;
    while (end < plain.length && /^\s*at \S/.test(plain[end]!)) end++;
    pieces.push(plain.slice(index, end).join('\n'));
  });
  return { pieces, text: [...pieces].join('\n') };
}

/**
 * The stacks in a piece of the log: each a line (the error's "Name: message", or whatever was printed
 * there) and the frame lines right below it.
 */
function stacksIn(piece: string): { header: string; frames: string[] }[] {
  const lines = piece.split('\n');
  const stacks: { header: string; frames: string[] }[] = [];
  lines.forEach((line, index) => {
    if (FRAME_LINE.test(line) || !FRAME_LINE.test(lines[index + 1] ?? '')) return;
    let end = index + 1;
    while (end < lines.length && FRAME_LINE.test(lines[end]!)) end++;
    stacks.push({ header: line, frames: lines.slice(index + 1, end) });
  });
  return stacks;
}

/** Whether these frames begin where the error was made: whole, cut short, or not its own at all. */
function ownFrames(frames: string[], { thrownAt, calledBy, frames: count }: ServerError): 'whole' | 'cut' | undefined {
  if (!thrownAt.test(frames[0] ?? '')) return undefined;
  if (calledBy && frames.length > 1 && !calledBy.test(frames[1]!)) return undefined;
  return frames.length >= count ? 'whole' : 'cut';
}

/** How well the log tells this error at best, and how many times it holds the error's own whole stack. */
function howLogged({ pieces }: ReturnType<typeof logPieces>, error: ServerError): { best: Logged; ownStacks: number } {
  let best: Logged = 'nothing';
  let ownStacks = 0;
  let framesOnly = false;
  for (const piece of pieces) {
    const stacks = stacksIn(piece);
    // Its own frames under a line that does not say what went wrong (a logger that redacts or drops
    // err.message), nor what another of the errors says (the two errors of src/catalog.ts start there both).
    framesOnly ||= stacks.some(({ header, frames }) => !serverErrors.some(({ says }) => says.test(header)) && ownFrames(frames, error));
    if (!error.says.test(piece)) continue;
    // The error's own stack starts on the line that says it ("Error: Warehouse B timed out…"), with the
    // frame where it was made: a new error made from its message starts where that one was made.
    const own = stacks.map(({ header, frames }) => (error.says.test(header) ? ownFrames(frames, error) : undefined));
    const seen: Logged = own.includes('whole') ? 'own stack' : own.includes('cut') ? 'cut stack' : FRAME.test(piece) ? 'other stack' : 'message only';
    if (seen === 'own stack') ownStacks++;
    if (RANK.indexOf(seen) > RANK.indexOf(best)) best = seen;
  }
  if (best === 'nothing' && framesOnly) best = 'stack only';
  return { best, ownStacks };
}

/** The frames of each stack of this error the log holds that begins where it was made. */
function stacksOf({ pieces }: ReturnType<typeof logPieces>, error: ServerError): string[][] {
  return pieces.flatMap((piece) => stacksIn(piece).filter(({ header, frames }) => error.says.test(header) && ownFrames(frames, error)).map(({ frames }) => frames));
}

/**
 * The output without the stacks of the four errors themselves (logged, or printed by Express's own
 * handler): where a failure about what an answer says or what the log holds looks for its "Look at" line.
 * The line that threw is not at fault there (the lesson leaves the four failures in place); the code that
 * answered or logged is, when the output shows it (a handler that throws itself), else there is no
 * "Look at" (red team 01 r9).
 */
function withoutThrownStacks(output: string): string {
  const kept: string[] = [];
  let inStack = false;
  for (const line of output.split('\n')) {
    if (serverErrors.some(({ says }) => says.test(line))) inStack = true;
    else if (!inStack || !/^\s*at \S/.test(line)) {
      inStack = false;
      kept.push(line);
    }
  }
  return kept.join('\n');
}

/** The first line of `text` that says `error`, with the frames printed below it; '' when none does. */
function stackOfIn(text: string, error: ServerError): string {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => !line.startsWith('[grader] ') && error.says.test(line));
  if (at < 0) return '';
  let end = at + 1;
  while (end < lines.length && /^\s*at \S/.test(lines[end]!)) end++;
  return lines.slice(at, end).join('\n');
}

/**
 * Sends `requests` over one connection in a single write, as a pipelining client does, so that the app
 * handles them in the same turn of its event loop: for each, whether an answer came back.
 */
function pipelined(port: number, requests: ServerError[], onFirstAnswer?: () => void): Promise<boolean[]> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    const written = requests
      .map(({ path, headers }, index) =>
        [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(headers ?? {}).map(([name, value]) => `${name}: ${value}`), ...(index === requests.length - 1 ? ['Connection: close'] : []), '', ''].join('\r\n'),
      )
      .join('');
    const timer = setTimeout(() => socket.destroy(), ANSWER_TIMEOUT_MS);
    socket.on('connect', () => socket.write(written));
    socket.on('data', (chunk) => {
      if (!chunks.length) onFirstAnswer?.();
      chunks.push(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const answers = Buffer.concat(chunks).toString('latin1').match(/(^|\r\n)HTTP\/1\.[01] \d{3} /g)?.length ?? 0;
      resolve(requests.map((_, index) => index < answers));
    });
  });
}

/** Unknown routes, asked with every common method, a known path with a method it does not serve, and the root. */
const unknownRoutes: [method: string, path: string, options?: RequestOptions][] = [
  ['GET', '/no-such-page'],
  ['POST', '/no-such-page', { body: { title: 'Dune' } }],
  ['PUT', '/books/1/reviews', { body: { stars: 5 } }],
  ['PATCH', '/no/such/page', { body: { price: 1 } }],
  ['DELETE', '/books/1/reviews'],
  ['DELETE', '/books'],
  ['GET', '/'],
  // A browser's Accept (and one for plain text) changes nothing: every answer of this API is JSON.
  ['GET', '/no-such-page.html', { headers: { Accept: BROWSER_ACCEPT } }],
  ['GET', '/', { headers: { Accept: 'text/html' } }],
  ['POST', '/no/such/page', { body: { title: 'Dune' }, headers: { Accept: 'text/plain' } }],
  // Methods beyond the five a CRUD API serves still reach app.use(): a catch-all route for some methods
  // leaves OPTIONS to Express's automatic answer (200 and an Allow list) and the rest to its HTML page.
  ['OPTIONS', '/no-such-page'],
  // A browser's CORS preflight too (red team 01 r11: a preflight answered 204 on any path passed).
  ['OPTIONS', '/no/such/page', { headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'DELETE' } }],
  ['TRACE', '/no/such/page'],
  ['PROPFIND', '/no-such-page'],
  ['PURGE', '/'],
];

/** What most likely lets this unknown route through when others are answered. */
function notFoundAdvice(method: string, path: string): string {
  if (method === 'GET' && path === '/') return "In Express 5 the pattern '/*splat' needs at least one character after the slash; app.use(...) or '/{*splat}' matches every path.";
  if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
    return `A request no route matched reaches the end of the app whatever its method, ${method} too: answer it with app.use(...), which every method reaches, not with a route for the methods you expect (Express answers OPTIONS itself on any path a route matches).`;
  }
  if (method !== 'GET') return 'A request no route matched reaches the end of the app whatever its method: answer it with app.use(...), which every method reaches, not app.get(...).';
  return 'After the last route, add an ordinary middleware that answers 404 with JSON.';
}

/** Bodies express.json() refuses for reasons other than syntax, and the status it gives each. */
const refusedBodies: [status: number, why: string, options: RequestOptions][] = [
  // From a client that prefers plain text: a client error is JSON too, whatever Accept says (red team 01 r11).
  [413, 'a JSON body over the parser\'s 100 kB limit', { body: { title: 'x'.repeat(110_000), author: 'A', price: 1 }, headers: { Accept: 'text/plain' } }],
  [415, 'a JSON body in an unsupported charset (latin1)', { body: '{"title":"Dune"}', headers: { 'Content-Type': 'application/json; charset=latin1' } }],
  [415, 'a JSON body in an unsupported Content-Encoding (compress)', { body: '{"title":"Dune"}', headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'compress' } }],
];

/** Client errors the router raises itself: a path parameter whose percent-encoding is malformed (err.status 400). */
const malformedParameters = ['/books/%E0%A4%A/cover', '/books/%ZZ/stock'];

/** Requests that succeed on the exercise as it is: fixing the failures must not break them. */
const successes: [label: string, method: string, path: string, options: RequestOptions, status: number, expected?: Record<string, unknown>][] = [
  ['GET /books/1/stock', 'GET', '/books/1/stock', {}, 200, { id: 1, inStock: 7 }],
  ['GET /books/1/cover', 'GET', '/books/1/cover', {}, 200, { color: 'teal' }],
  ['GET /books with X-Shop: airport', 'GET', '/books', { headers: { 'X-Shop': 'airport' } }, 200],
  ['POST /books with a valid book', 'POST', '/books', { body: { title: 'Dune', author: 'Herbert', price: 9 } }, 201, { title: 'Dune' }],
  ['GET /books/9/stock (no such book)', 'GET', '/books/9/stock', {}, 404],
];

/** The error answers sent over one keep-alive connection, then a request that must still be served on it. */
const overOneConnection: [label: string, request: SentRequest][] = [
  ['POST /books with malformed JSON', { method: 'POST', path: '/books', headers: { 'Content-Type': 'application/json' }, body: '{"title":' }],
  ['GET /no-such-page', { method: 'GET', path: '/no-such-page', headers: {} }],
  // The parser's 413 and 415 (a body it did not read to the end) and the router's 400: client errors too.
  ...refusedBodies.map(([, why, { body, headers }]): [string, SentRequest] => [
    `POST /books with ${why}`,
    { method: 'POST', path: '/books', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) },
  ]),
  [`GET ${malformedParameters[0]}`, { method: 'GET', path: malformedParameters[0]!, headers: {} }],
  ...serverErrors.map(({ label, path, headers }): [string, SentRequest] => [label, { method: 'GET', path, headers: { ...headers } }]),
  ['GET /health', { method: 'GET', path: '/health', headers: {} }],
];

/** Node's keepAliveTimeout: a connection idle this long is closed by the server, rightly. */
const KEEP_ALIVE_MS = 4_000;

interface ConnectionAnswer {
  status: number;
  /** Its Content-Type header. */
  type: string | undefined;
  /** Whether the request went out on a connection an earlier request had used. */
  reused: boolean;
  /** Whether the answer said the server would close the connection (Connection: close). */
  closing: boolean;
}

/** Sends a request through a keep-alive agent that holds one connection, and reads the whole answer. */
function sendOn(agent: http.Agent, baseUrl: string, request: SentRequest): Promise<ConnectionAnswer> {
  return new Promise((resolve, reject) => {
    const headers = { ...request.headers, ...(request.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(request.body)) }) };
    const req = http.request(new URL(request.path, baseUrl), { method: request.method, headers, agent, timeout: ANSWER_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], reused: req.reusedSocket, closing: /\bclose\b/i.test(String(res.headers.connection)) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => reject(Object.assign(error, { reused: req.reusedSocket })));
    req.end(request.body);
  });
}

/**
 * A preload (NODE_OPTIONS) for src/server.ts: on SIGURG, in a timer, it says so and throws `thrown` (an
 * app that ends in its own handler of the signal ends before it says so),
 * outside any request, as a bug in a background job would. Node then ends the process, unless the app
 * keeps it alive. It also notes every uncaught exception the app meets (uncaughtExceptionMonitor, which
 * changes nothing): a request's own error that reaches Node uncaught (a callback that still throws) and
 * a process that serves on after it is a handler that resumes, whatever it does with the error.
 */
const UNCAUGHT_MARK = '[grader] throwing an error outside any request';
/**
 * The signal that tells the preload to throw: one whose default action is to ignore it and that no
 * shutdown helper listens for. Not SIGUSR2, which nodemon sends to restart and close-with-grace (and
 * others) take as a request to shut down cleanly: the app then exits 0 before anything is thrown (red team 01 r7).
 */
const THROW_SIGNAL = 'SIGURG';
const UNCAUGHT_SEEN = '[grader] uncaught exception: ';
function uncaughtPreload(thrown: string, rejected = false): string {
  return `--import=data:text/javascript,${encodeURIComponent(
    `import{isMainThread}from'node:worker_threads';if(isMainThread){process.on('uncaughtExceptionMonitor',e=>{try{process.stderr.write(${JSON.stringify(UNCAUGHT_SEEN)}+String(e&&e.message!==undefined?e.message:e).split('\\n')[0]+'\\n')}catch{}});` +
      `process.on(${JSON.stringify(THROW_SIGNAL)},()=>{setImmediate(()=>{process.stderr.write(${JSON.stringify(`${UNCAUGHT_MARK}\n`)});${rejected ? `Promise.reject(${thrown})` : `throw ${thrown}`}})})}`,
  )}`;
}
/**
 * A system error as Node makes one: its message names the code, which it carries with errno and syscall;
 * `more`, properties of an app's own error classes besides (isOperational: true, a status).
 */
function systemError(code: string, errno: number, syscall: string, more = ''): string {
  return `Object.assign(new Error('${syscall} ${code} (thrown by the grader outside any request)'),{code:'${code}',errno:${errno},syscall:'${syscall}'${more}})`;
}
/**
 * The errors the grader throws outside any request, one shape per run: none of them a plain Error, each
 * with the traits a handler that "carries on for harmless errors" looks for, spread over the runs: Node's
 * own codes juniors exempt after their first crash (ERR_HTTP_HEADERS_SENT, ERR_STREAM_*), a socket's
 * ECONNRESET and EPIPE (the usual "ignore ECONNRESET" snippets), a refused connection's ECONNREFUSED, a
 * timeout's ETIMEDOUT, an AbortError and a TimeoutError by name, an error marked isOperational, and rejections
 * nobody handles whose reason is no Error at all (a string, a plain object), which Node turns into an uncaught
 * exception unless an unhandledRejection handler keeps the process alive (red team 01 r9). The same in
 * every grade: a verdict that changed from one grade to the next could be had by grading again.
 */
const uncaughtShapes = {
  // What Node throws when a route writes after its answer ("Cannot set headers after they are sent").
  headersSent: {
    what: 'an Error with code ERR_HTTP_HEADERS_SENT the grader threw',
    preload: uncaughtPreload(`Object.assign(new Error('Cannot set headers after they are sent to the client (thrown by the grader outside any request)'),{code:'ERR_HTTP_HEADERS_SENT'})`),
  },
  // Marked operational as well (nodebestpractices' AppError: isOperational), the mark a handler that
  // carries on for "expected" errors looks for (red team 01 r7).
  reset: {
    what: 'a system error with code ECONNRESET, marked isOperational, the grader threw',
    preload: uncaughtPreload(systemError('ECONNRESET', -104, 'read', ',isOperational:true')),
  },
  pipe: { what: 'a system error with code EPIPE the grader threw', preload: uncaughtPreload(systemError('EPIPE', -32, 'write')) },
  destroyed: {
    what: 'an Error with code ERR_STREAM_DESTROYED the grader threw',
    preload: uncaughtPreload(`Object.assign(new Error('Cannot call write after a stream was destroyed (thrown by the grader outside any request)'),{code:'ERR_STREAM_DESTROYED'})`),
  },
  prematureClose: {
    what: 'an AbortError (err.name) with code ERR_STREAM_PREMATURE_CLOSE the grader threw',
    preload: uncaughtPreload(`Object.assign(new Error('Premature close (thrown by the grader outside any request)'),{name:'AbortError',code:'ERR_STREAM_PREMATURE_CLOSE'})`),
  },
  // Rejections whose reason is no Error: a handler that exits only for errors (reason instanceof Error) serves on.
  rejectedString: {
    what: "a promise the grader rejected with a string ('ETIMEDOUT', no Error) and nothing handled",
    preload: uncaughtPreload(`'ETIMEDOUT'`, true),
  },
  // A plain object, not undefined: close-with-grace reads a falsy reason as "no error" and exits 0, a
  // corner of that library no lesson teaches (Promise.reject() with nothing is rare; a cancellation object is not).
  rejectedObject: {
    what: "a promise the grader rejected with a plain object ({ code: 'ECANCELED' }, no Error) and nothing handled",
    preload: uncaughtPreload(`{code:'ECANCELED',reason:'cancelled by the grader outside any request'}`, true),
  },
  // In production too ("a stray promise must never take production down"), an error marked operational
  // with an http-errors status and expose as well (red team 01 r7), a timeout's code and a TimeoutError's
  // name (AbortSignal.timeout) besides.
  operational: {
    what: 'a promise the grader rejected (with a TimeoutError (err.name) with code ETIMEDOUT, marked isOperational, status 503) and nothing handled',
    preload: uncaughtPreload(
      `Object.assign(new Error('connect ETIMEDOUT 10.0.0.7:5432 (rejected by the grader outside any request)'),{name:'TimeoutError',code:'ETIMEDOUT',errno:-110,syscall:'connect',isOperational:true,status:503,statusCode:503,expose:false})`,
      true,
    ),
  },
  refused: {
    what: 'a promise the grader rejected (with a system error with code ECONNREFUSED) and nothing handled',
    preload: uncaughtPreload(systemError('ECONNREFUSED', -111, 'connect'), true),
  },
};
/**
 * What the output must show after each throw: the error written down before the process ended (red team
 * 01 r10: a handler that only exits hides why it died). Node's own report of a rejection whose reason is a
 * plain object names no field of it, so that one is not asked for.
 */
function loggedText(shape: keyof typeof uncaughtShapes): string | undefined {
  if (shape === 'rejectedObject') return undefined;
  return shape === 'rejectedString' ? 'ETIMEDOUT' : 'by the grader outside any request';
}
/**
 * How many times the log run under NODE_ENV=test asks for the rejected error, ten at a time: more than
 * any cap per message a log throttle plausibly has (20, 50 or 100 a minute). Fixed, so that a grade
 * is the same each time it is run.
 */
const TEST_REPEAT = 120;
/** How long a process may take to end after that error: it ends at once unless something keeps it alive. */
const UNCAUGHT_END_MS = 3_000;
/**
 * How long a process may go on answering after that error: a logger that writes out what it holds before
 * it exits waits up to 3 s (winston's exitOnError), so twice that, a margin no load decides (red team 01 r9).
 */
const UNCAUGHT_SERVING_MS = 6_000;

/** `early`: the process ended on the grader's signal, before the preload threw what it was to throw. */
type UncaughtOutcome = { kept: false; early?: true; code: number | null; signal: NodeJS.Signals | null; after: string } | { kept: true; how: string };

/** Whether the process ends within UNCAUGHT_END_MS, and how; or how it showed that it still serves. */
async function endsAfter(server: RunningServer, after: string): Promise<UncaughtOutcome> {
  const { process: app } = server;
  await Promise.race([app.exited, delay(UNCAUGHT_SERVING_MS)]);
  if (app.running) {
    // Still there: does it serve? A process shutting down closes its server first.
    const health = await server.client.get('/health').then((reply) => reply.status, () => undefined);
    if (health !== undefined && app.running) return { kept: true, how: `GET /health answered ${health} more than ${UNCAUGHT_SERVING_MS / 1000} s after ${after}` };
    await Promise.race([app.exited, delay(UNCAUGHT_END_MS)]);
    if (app.running) return { kept: true, how: `it was still running more than ${(UNCAUGHT_SERVING_MS + UNCAUGHT_END_MS) / 1000} s after ${after}` };
  }
  // It ended as it should: no "exited before the check ended" beside the messages of the checks.
  app.stopping = true;
  return { kept: false, code: app.exit!.code, signal: app.exit!.signal, after };
}

/**
 * Throws an error outside any request in this server (started with an uncaught preload), unless an
 * error of one of its requests has already reached Node uncaught: whether the process kept serving,
 * and if it ended, with which code.
 */
async function throwOutsideRequests(server: RunningServer, what: string, again = true): Promise<UncaughtOutcome | undefined> {
  const { process: app } = server;
  const output = app.output();
  const seen = output.split('\n').find((line) => line.startsWith(UNCAUGHT_SEEN));
  if (seen) {
    // The error of a request that reached Node uncaught (a callback that still throws): ending the
    // process is right, serving on is not, whatever a handler did with the error (forwarded it to a request).
    const after = `the uncaught exception ${show(seen.slice(UNCAUGHT_SEEN.length), 60)}, an error of one of its requests (${callback.label} threw in its callback)`;
    if (app.running) return endsAfter(server, after);
    return { kept: false, code: app.exit!.code, signal: app.exit!.signal, after };
  }
  // Ended already, with no uncaught exception: nothing kept it alive.
  if (!app.running || app.child.pid === undefined) return undefined;
  try {
    process.kill(app.child.pid, THROW_SIGNAL);
  } catch (error) {
    // Ended just now (ESRCH), before its exit or the line its crash wrote was read: judge it once they are.
    if (!again || (error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    await Promise.race([app.exited, delay(UNCAUGHT_END_MS)]);
    await delay(50);
    return throwOutsideRequests(server, what, false);
  }
  const until = Date.now() + UNCAUGHT_END_MS;
  while (app.running && !app.output().includes(UNCAUGHT_MARK) && Date.now() < until) await delay(20);
  if (app.running && !app.output().includes(UNCAUGHT_MARK)) {
    throw new CannotJudge(`The grader sent ${THROW_SIGNAL} to src/server.ts to throw an error outside any request, and nothing happened within ${UNCAUGHT_END_MS / 1000} s (a machine too busy?).`);
  }
  if (!app.output().includes(UNCAUGHT_MARK)) {
    await app.exited;
    app.stopping = true;
    // Crashed on an error of one of its requests just now (the callback error), its line read only now: judged as above.
    if (again && app.output().includes(UNCAUGHT_SEEN)) return throwOutsideRequests(server, what, false);
    // Ended before the preload threw: whatever its code says, it says nothing about an uncaught exception.
    return { kept: false, early: true, code: app.exit!.code, signal: app.exit!.signal, after: what };
  }
  return endsAfter(server, `${what}, in a timer of its process, outside any request`);
}

lesson('01-error-handling', (t) => {
  const production = { NODE_ENV: 'production' };
  // What a test runner sets: Express's own handler still shows the stack then, and so does a handler that
  // adds details whenever NODE_ENV is set and is not production.
  const test = { NODE_ENV: 'test' };
  // Any other value but development, as the lesson names it: a handler that shows details unless
  // NODE_ENV is production or test still leaks on a staging server.
  // With DEBUG set as well, as it is whenever someone traces Express (DEBUG=express:*): a handler that
  // shows details when DEBUG is set leaks there.
  const staging = { NODE_ENV: 'staging', DEBUG: '*' };
  // A value no list of known environments holds, made up fresh for each grade (qa-3f9a1c): a handler
  // that shows details unless NODE_ENV is one of production, staging, test, qa… still leaks there.
  // DEBUG names the app's own namespace there too (bookshop:*): a handler that shows details while someone
  // debugs the bookshop itself leaks there (red team 01 r7).
  const qa = { NODE_ENV: `qa-${randomBytes(3).toString('hex')}`, DEBUG: 'express:*,bookshop:*' };
  // Values close to development that are not it: details, if any, only when NODE_ENV is exactly
  // development, so a test for a prefix (/^dev/i, /^devel/) or for any case (toLowerCase()) leaks on
  // them, and so does a list of development-like names (local, the name a developer's machine often has).
  // On a developer's own machine (local), DEBUG names the app alone: DEBUG=bookshop.
  // 'development ' with a trailing space (a stray blank or CR from a .env file or a Windows shell): a test
  // that trims it, or for a prefix (startsWith('develop')), a part (includes()) or an unanchored /development/,
  // leaks there (red team 01 r8).
  const nearDevelopment: Record<string, string>[] = [{ NODE_ENV: 'dev' }, { NODE_ENV: 'development ' }, { NODE_ENV: 'Development' }, { NODE_ENV: 'local', DEBUG: 'bookshop' }];
  // The one mode that may show details: the handler must still stop after answering there.
  const development = { NODE_ENV: 'development' };
  t.prestart({}, production, test, staging, qa, ...nearDevelopment, development);
  const modes: [env: Record<string, string>, mode: string][] = [
    [{}, ''],
    [production, ' with NODE_ENV=production'],
    [test, ' with NODE_ENV=test'],
    [staging, ' with NODE_ENV=staging and DEBUG=*'],
    [qa, ` with NODE_ENV=${qa.NODE_ENV} and DEBUG=${qa.DEBUG}`],
  ];
  /**
   * Client errors are answered the same way in production, and in development too, where details may
   * show in a 500 but a 4xx stays JSON with no stack (Express's own page is HTML with one: red team 01 r7).
   */
  const clientErrorModes: [env: Record<string, string>, mode: string][] = [...modes.slice(0, 2), [development, ' with NODE_ENV=development']];

  /**
   * A check whose failures are about what an answer says or what the log holds: its "Look at" line is the
   * code that answered or logged, when the output shows it, never the route's line that threw (red team 01 r9).
   */
  const check = (id: string, body: () => Promise<void>) =>
    t.check(id, async () => {
      try {
        await body();
      } catch (error) {
        if (error instanceof CheckFailure && !('locateIn' in error)) {
          const about = (error as { about?: FailureAbout }).about;
          Object.assign(error, { locateIn: withoutThrownStacks(about ? about.output : t.checkOutput()) });
        }
        throw error;
      }
    });

  check('01.sync-throw-answers-generic-json', async () => {
    const app = await t.app();
    await askEveryWay(app, sync, (reply) => {
      expectGenericServerError(reply);
      earliest ??= { reply, mode: '', at: Date.now() };
    });
  });

  check('01.rejected-promise-answers-generic-json', async () => {
    const app = await t.app();
    await askEveryWay(app, rejected, (reply) => expectGenericServerError(reply));
  });

  check('01.middleware-throw-answers-generic-json', async () => {
    const app = await t.app();
    await askEveryWay(app, middleware, (reply) => expectGenericServerError(reply));
  });

  check('01.production-mode-answers-generic-json', async () => {
    const app = await t.app({ env: production });
    await eachServerError(app, (reply) => expectGenericServerError(reply, ' with NODE_ENV=production'), true);
  });

  check('01.test-mode-answers-generic-json', async () => {
    const near = nearDevelopment.map((env): [Record<string, string>, string] => [
      env,
      ` with NODE_ENV=${/\s/.test(env.NODE_ENV!) ? `${show(env.NODE_ENV)} (a trailing space)` : env.NODE_ENV}${env.DEBUG ? ` and DEBUG=${env.DEBUG}` : ''}`,
    ]);
    const all = [...modes.slice(2), ...near];
    // Every mode's app asked for at once: run alone (no hosts started ahead), the hosts then load side by side.
    const apps = all.map(([env]) => t.app({ env }));
    for (const app of apps) app.catch(() => {});
    for (const [index, [env, mode]] of all.entries()) {
      const app = await apps[index]!;
      const debug = env.DEBUG
        ? ` DEBUG is set here, as it is whenever someone traces Express (DEBUG=express:*) or the app (DEBUG=bookshop:*): it turns on debug output in the log, never details in an answer, whatever namespace it names.`
        : '';
      const cause = nearDevelopment.includes(env)
        ? ` ${show(env.NODE_ENV)} is not development: show details, if at all, only when NODE_ENV is exactly 'development' (process.env.NODE_ENV === 'development'), not for a prefix, a part (includes()), a trimmed value, another spelling or a list of development-like names.${debug}`
        : debug
          ? `${debug} Show details, if at all, only when NODE_ENV is exactly 'development'.`
          : '';
      // Before the server errors: the callback error, last, may take the app down.
      const reply = await app.post('/books', { body: '{"title":', headers: { 'Content-Type': 'application/json' } });
      expectNothingInternal(reply, `malformed JSON,${mode}`, cause);
      // Near development, each error asked plainly: the request's switches are tried in the other modes.
      await eachServerError(app, (reply) => expectGenericServerError(reply, mode, cause), !cause);
    }
  });

  t.check('01.callback-error-answers-and-app-survives', async () => {
    const app = await t.app();
    await askEveryWay(app, callback, (reply) => expectGenericServerError(reply));
    // The route's success path and the app's other routes still answer as they did.
    for (const [label, method, path, options, status, expected] of successes) {
      const reply = await app.request(method, path, options);
      expectThat(
        reply.status === status,
        `Expected ${label} to answer ${status} as it did before your change, got ${reply.status} (body ${show(reply.text, 80)}). Fixing the failures must not break what worked: look at the success branch of the route you changed.`,
      );
      expectJsonType(reply);
      for (const [key, value] of Object.entries(expected ?? {})) {
        const got = (reply.json as Record<string, unknown> | undefined)?.[key];
        expectThat(got === value, `Expected ${label} to answer ${show(JSON.stringify(expected))} as it did before your change, got ${show(reply.text, 80)}.`);
      }
    }
    const health = await app.get('/health');
    expectStatus(health, 200);
  });

  check('01.malformed-json-answers-400-json', async () => {
    for (const [env, mode] of clientErrorModes) {
      const app = await t.app({ env });
      const reply = await app.post('/books', { body: '{"title":', headers: { 'Content-Type': 'application/json' } });
      expectThat(
        reply.status === 400,
        `Expected POST /books with malformed JSON${mode} to answer 400, the status express.json() gave its error, got ${reply.status}. A client error keeps its 4xx status in every mode.`,
      );
      expectJsonAnswer(reply, mode);
      expectNothingInternal(reply, `malformed JSON${mode}`);
    }
  });

  check('01.parser-client-errors-keep-their-status', async () => {
    for (const [env, mode] of clientErrorModes) {
      const app = await t.app({ env });
      for (const [status, reason, options] of refusedBodies) {
        const why = `${reason}${mode}`;
        const reply = await app.post('/books', options);
        expectThat(
          reply.status === status,
          `Expected POST /books with ${why} to answer ${status}, the status express.json() gave its error, got ${reply.status}. ` +
            'Every error with a 4xx status (err.status) is a client error: answer with that status, not only 400 for bad syntax, in every mode.',
        );
        expectJsonAnswer(reply, mode);
        expectNothingInternal(reply, why);
      }
      for (const path of malformedParameters) {
        const why = `a path parameter whose percent-encoding is malformed${mode}`;
        const reply = await app.get(path);
        expectThat(
          reply.status === 400,
          `Expected GET ${path} (${why}) to answer 400, the status Express's router gave its error, got ${reply.status}. ` +
            "Every error with a 4xx status (err.status) is a client error, whoever raised it (the router as well as express.json()): answer with that status, whatever else the error carries.",
        );
        expectJsonAnswer(reply, mode);
        expectNothingInternal(reply, why);
      }
    }
  });

  check('01.unknown-route-answers-404-json', async () => {
    for (const [env, mode] of clientErrorModes) {
      const app = await t.app({ env });
      for (const [method, path, options] of unknownRoutes) {
        const reply = await app.request(method, path, options);
        const knownPath = path === '/books';
        const accept = options?.headers?.Accept;
        const asked = `${method} ${path}${accept ? ` with Accept: ${accept}` : ''}${mode}`;
        expectThat(
          reply.status === 404 || (knownPath && reply.status === 405),
          `Expected ${asked} to answer 404${knownPath ? ' (or 405)' : ''}: no route serves it, got ${reply.status}.` +
            (reply.status === 200 || reply.status >= 500 ? ` ${notFoundAdvice(method, path)}` : ''),
        );
        expectThat(
          /^application\/([\w.+-]+\+)?json\b/i.test(header(reply, 'content-type') ?? ''),
          `Expected ${asked} to answer its ${reply.status} with a JSON content type, got ${show(header(reply, 'content-type'))} (body ${show(reply.text, 60)}). ` +
            (accept
              ? 'Every answer of this API is JSON, whatever the Accept header asks for: answer the 404 with res.json(), not with res.format() or a page for browsers.'
              : notFoundAdvice(method, path)),
        );
        expectNothingInternal(reply, `no route serves it${mode}`);
      }
    }
  });

  // The earliest plain 500 of this grade (GET /books/2/cover in the first check), for the body check to
  // compare its own with: seconds apart in a whole grade, so that a body that changes with time shows.
  let earliest: Seen500 | undefined;

  check('01.server-errors-share-one-body', async () => {
    let first = earliest && { ...earliest, mode: `${earliest.mode} (asked earlier)` };
    const answers = new Map<ServerError, Reply[]>(serverErrors.map((error) => [error, []]));
    // Every mode but development: one body for all, whatever NODE_ENV says (a hint outside production too).
    for (const [env, mode] of modes) {
      await eachServerError(await t.app({ env }), (reply, error) => {
        first ??= { reply, mode, at: Date.now() };
        expectSameBody(first, reply, mode);
        answers.get(error)!.push(reply);
      });
    }
    expectSameHeaders(answers);
    // Run alone (or fast), wait until the first is more than a second old, and ask once more.
    const wait = first!.at + BODY_SPAN_MS - Date.now();
    if (wait > 0) {
      await delay(wait);
      expectSameBody(first!, await (await t.app()).get(sync.path), '');
    }
  });

  check('01.connection-kept-after-error-answers', async () => {
    // Development too: details may show there, but the handler still answers and stops.
    for (const [env, mode] of [...modes, [development, ' with NODE_ENV=development'] as const]) await keptAlive((await t.app({ env })).baseUrl, mode);
  });

  /** Error answers of every kind over one keep-alive connection, then /health on it. */
  async function keptAlive(baseUrl: string, mode: string): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let before: { label: string; status: number; at: number } | undefined;
    try {
      for (const [label, request] of overOneConnection) {
        // The last request after a pause, as a client comes back a moment later (red team 01 r11: a connection closed
        // 300 ms after every error answer passed requests sent back to back).
        if (label === 'GET /health') await new Promise((resolve) => setTimeout(resolve, 800));
        t.reproduce(request);
        let answer: ConnectionAnswer;
        try {
          answer = await sendOn(agent, baseUrl, request);
        } catch (error) {
          const { code, reused } = error as NodeJS.ErrnoException & { reused?: boolean };
          // Sent on the connection the last answer came over, just as the app closed it: on a new
          // connection the same request is answered if the app is still there.
          if (before && reused && (await sendOn(new http.Agent(), baseUrl, request).then(() => true, () => false))) cutAfter(before, label, mode);
          fail(
            code === 'TIMEOUT'
              ? `Expected an answer to ${label}${mode}, got none within ${ANSWER_TIMEOUT_MS / 1000} s. Some code path never answers.`
              : `Expected an answer to ${label}${mode}, but the connection was cut (${code ?? (error as Error).message}): your app crashed or closed it. Read its output below.`,
          );
        }
        if (before && !answer.reused) {
          // Node closes a connection left idle for 5 s (keepAliveTimeout): only a grader that slow sees that.
          if (Date.now() - before.at > KEEP_ALIVE_MS) throw new CannotJudge(`The grader took over ${KEEP_ALIVE_MS / 1000} s to send ${label} after the answer before it (a machine too busy?), so the connection may have closed for being idle.`);
          cutAfter(before, label, mode);
        }
        expectThat(
          !answer.closing || label === 'GET /health',
          `Expected the ${answer.status} answer to ${label}${mode} to keep the client's keep-alive connection open, got Connection: close. ` +
            'An error is no reason to drop the connection: every client then has to open a new one after each error. Answer and stop, without a Connection header of your own.',
        );
        // Every answer of this API is JSON, in development too (details may show there, in the JSON).
        expectThat(
          /^application\/([\w.+-]+\+)?json\b/i.test(answer.type ?? ''),
          `Expected the ${answer.status} answer to ${label}${mode} to have a JSON content type, got ${show(answer.type)}. ` +
            "Every answer of this API is JSON, in every mode, development included: answer the error yourself (details, if any, in the JSON body while NODE_ENV is development), rather than handing it to Express's built-in handler with next(err), whose page is HTML.",
        );
        before = { label, status: answer.status, at: Date.now() };
      }
    } finally {
      agent.destroy();
    }
  }

  // Last, with servers of their own (src/server.ts, stopped with SIGTERM or an uncaught exception at the end): the log is read up
  // to the exit, so lines an app holds back and never writes out are missed as they would be in production.
  // In production every way an error can be lost is tried; with NODE_ENV unset, test (as under a test
  // runner), production again and a made-up mode (a logger set up for the modes it knows), each error is asked
  // for as well (the rejected one TEST_REPEAT times under test): a log that is silent in one mode, or stops
  // after a number of lines, loses errors there too.
  /**
   * The runs that end with an error outside any request: each shape in its own mode, so that a handler
   * that resumes in one mode only (production: "never crash in prod") or for one code only is met.
   */
  // An exception and a rejection in every mode but unset (an exception) and the made-up one (both):
  // a handler that carries on in one mode only ("do not kill the dev server", "never crash in prod"), or
  // for one kind only (a rejection only logged under test, "the test runner reports it"), is met (red
  // team 01 r8); and a trait a handler spares (a code, a name, a reason that is no Error) in one run at
  // least (red team 01 r9).
  const uncaughtRuns: [shape: keyof typeof uncaughtShapes, env: Record<string, string>, mode: string][] = [
    ['headersSent', {}, ' with NODE_ENV unset'],
    ['reset', test, ' with NODE_ENV=test'],
    ['pipe', production, ' with NODE_ENV=production'],
    ['destroyed', development, ' with NODE_ENV=development'],
    ['prematureClose', { NODE_ENV: qa.NODE_ENV }, ` with NODE_ENV=${qa.NODE_ENV}`],
    // Its own object: the log run that repeats its errors (env === test) is the one above.
    ['rejectedString', { NODE_ENV: 'test' }, ' with NODE_ENV=test'],
    ['operational', production, ' with NODE_ENV=production'],
    ['refused', { NODE_ENV: 'development' }, ' with NODE_ENV=development'],
    // And a made-up mode, where a log kept only in a file outside the known modes is met.
    ['rejectedObject', { NODE_ENV: qa.NODE_ENV }, ` with NODE_ENV=${qa.NODE_ENV}`],
  ];
  check('01.errors-logged-with-stack', async () => {
    uncaughtOutcomes = [];
    const runs = await Promise.all([
      logRun(production, ' with NODE_ENV=production', true),
      // The other runs end with an error thrown outside any request instead of SIGTERM, each its own
      // shape in its own mode (production and a made-up one too): the check after this one judges how.
      ...uncaughtRuns.map(([shape, env, mode]) => logRun({ ...env, NODE_OPTIONS: uncaughtShapes[shape].preload }, mode, false, env === test ? TEST_REPEAT : 1, shape)),
    ]);
    for (const run of runs) judgeLog(run);
  });

  interface LogRun {
    mode: string;
    /** How the run ended, in words. */
    end: string;
    output: string;
    answered: Map<ServerError, number>;
  }

  /** Starts src/server.ts, asks for each server error (in every way an error can be lost, when `thorough`), stops it. */
  async function logRun(env: Record<string, string>, mode: string, thorough: boolean, repeat = 1, uncaught?: keyof typeof uncaughtShapes): Promise<LogRun> {
    const server = await t.server({ env });
    const ask = (error: ServerError) => server.client.get(error.path, { headers: error.headers }).then(() => true, () => false);
    const answered = new Map<ServerError, number>(serverErrors.map((error) => [error, 0]));
    const count = (error: ServerError, yes: boolean) => yes && answered.set(error, answered.get(error)! + 1);
    if (!thorough) {
      // Side by side, the callback error last: it may take the app down. The rejected one `repeat` times:
      // a logger that stops writing after so many lines (winston without a transport warns 16 times) loses some.
      // Ten at a time (over a hundred at once starve each other past the answer timeout on a loaded machine).
      const first = [sync, middleware, ...Array.from({ length: repeat }, () => rejected)];
      for (let start = 0; start < first.length; start += 10) {
        const batch = first.slice(start, start + 10);
        (await Promise.all(batch.map(ask))).forEach((yes, index) => count(batch[index]!, yes));
      }
      count(callback, await ask(callback));
      let end = 'its exit on SIGTERM';
      if (uncaught) {
        const outcome = throwOutsideRequests(server, uncaughtShapes[uncaught].what);
        uncaughtOutcomes?.push({ shape: uncaught, mode, outcome, output: () => server.process.output() });
        await outcome.catch(() => undefined);
        if (!server.process.running) end = 'its exit';
      }
      await server.stop();
      return { mode, end, output: server.process.output(), answered };
    }
    // The two synchronous ones twice, pipelined on one connection, so that they are handled in the same
    // turn of the event loop (one "last error" shared by requests loses one); the rejected one six times
    // (a log that skips repeats, or caps them at a few a minute, loses some). Side by side, so that a
    // handler that never answers costs one request timeout.
    const [inOneWrite, ...asked] = await Promise.all([pipelined(server.port, [sync, middleware, sync, middleware]), ...Array.from({ length: 6 }, () => ask(rejected))]);
    // The callback error once the others are answered: it may take the app down.
    const callbacks = await Promise.all([ask(callback), ask(callback)]);
    // Two more, and SIGTERM as their first answer arrives (each is logged before it is answered): lines
    // held back in a buffer that a timer writes out are then lost, unless the app writes them at exit.
    let stopping: Promise<unknown> | undefined;
    const atExit = await pipelined(server.port, [sync, middleware], () => (stopping = server.stop()));
    await (stopping ?? server.stop());
    [...inOneWrite, ...atExit].forEach((yes, index) => count(index % 2 ? middleware : sync, yes));
    asked.forEach((yes) => count(rejected, yes));
    callbacks.forEach((yes) => count(callback, yes));
    // This server's output only: an app host of an earlier check may still be writing out its own log.
    return { mode, end: 'its exit on SIGTERM', output: server.process.output(), answered };
  }

  /** Fails the check unless the run's log holds every server error with its own whole stack, each time it was answered. */
  function judgeLog({ mode, end, output, answered }: LogRun): void {
    const log = logPieces(output);
    const seen = serverErrors.map((error) => ({ error, ...howLogged(log, error), answered: answered.get(error)! }));
    const which = (kind: Logged) => seen.filter(({ best }) => best === kind).map(({ error }) => error);
    const labels = (errors: ServerError[]) => errors.map((error) => error.label).join(', ');
    const [nothing, stackOnly, bare, other, cut] = [which('nothing'), which('stack only'), which('message only'), which('other stack'), which('cut stack')];
    // A request never answered (the grader's timeout on a loaded machine, cut short by the grader's own
    // throw) may never have reached the handler: only an error the app answered must be in the log. A
    // crash logs the one error it dies of, answered or not, and then it is there.
    nothing.splice(0, nothing.length, ...nothing.filter((error) => answered.get(error)! > 0));
    // A crash logs the one error it dies of, answered or not.
    const fewer = seen.filter(({ best, ownStacks, answered }) => best === 'own stack' && ownStacks < Math.max(1, answered));
    // Beyond what src/server.ts prints itself as it starts and stops.
    // Up to the grader's own throw (the crash prints that error, not the app's log), and not its notes.
    const printed = output.split(UNCAUGHT_MARK)[0]!.split('\n').some((line) => line.trim() && !/^(Bookshop listening on |SIG\w+ received|\[grader\] )/.test(line));
    const noTransport = NO_TRANSPORT.test(output);
    const got = [
      nothing.length ? `nothing about ${labels(nothing)}` : '',
      stackOnly.length ? `the stack without the error's message for ${labels(stackOnly)}` : '',
      bare.length ? `the message without a stack trace for ${labels(bare)}` : '',
      other.length ? `a stack trace that is not the error's own for ${labels(other)}: none begins at the frame where the error was made (${other.map((error) => error.where).join('; ')})` : '',
      cut.length
        ? `the error's own stack cut short for ${cut.map((error) => `${error.label} (${Math.max(...stacksOf(log, error).map((frames) => frames.length))} of the ${error.frames} frames its stack holds)`).join(', ')}`
        : '',
      ...fewer.map(({ error, ownStacks, answered }) => `${error.label} answered ${answered} times but its stack logged ${ownStacks === 1 ? 'once' : `${ownStacks} times`}`),
    ].filter(Boolean);
    const someLogged = seen.some(({ best }) => best !== 'nothing');
    // The curl command of the report asks for the first error the log misses, not the last one sent.
    const first = [...nothing, ...stackOnly, ...bare, ...other, ...cut, ...fewer.map(({ error }) => error)][0];
    if (got.length === 0 || !first) return;
    // What the report shows is this run's output, not another's (red team 01 r9): up to the grader's own
    // throw (the crash after it prints that error, not the app's log), and when the log holds the error
    // the message is about, up to its lines, the last the report shows.
    const own = output.split(UNCAUGHT_MARK)[0]!;
    const shown = [...bare, ...other, ...cut].includes(first) ? stackOfIn(own, first) : '';
    const excerpt = shown ? own.slice(0, own.indexOf(shown) + shown.length) : own;
    throw Object.assign(new CheckFailure(message()), {
      about: { output: excerpt, request: { method: 'GET', path: first.path, headers: { ...first.headers } } } satisfies FailureAbout,
      // Look at the code that logged a stack not the error's own (console.trace, a new error made from the
      // message), never the route whose error is logged: what the log holds is the fault.
      locateIn: other.includes(first) ? shown : withoutThrownStacks(own),
    });
    function message(): string {
      return (
        `Expected the server log (the app's stdout and stderr,${mode}, up to ${end}) to hold the message and the whole stack trace of every server error, each time it happened, got ${got.join('; ')}` +
        (printed ? ' (the output is below).' : ': the app printed nothing there but the start and stop lines of src/server.ts.') +
        (stackOnly.length ? " Log the error object itself: its stack begins with its message, which says what went wrong; a logger or format that redacts or drops err.message loses it." : '') +
        (bare.length ? ' Log the error object itself, not err.message: its stack says where it was thrown.' : '') +
        (other.length
          ? ' console.trace() and new Error() record where they are called, in your handler, and so does an error made from the message of another (createError(502, err.message)): log the error you were given, or pass it on as the cause of yours ({ cause: err }).'
          : '') +
        (noTransport
          ? ' winston warned that your logger has no transport: that warning is not a log (it quotes only the first 16 entries, the rest stay in memory). Give the logger a Console transport in every NODE_ENV.'
          : '') +
        (cut.length ? ' Keep every frame of the stack, not only the first: the frames below say which route and which caller led there.' : '') +
        (fewer.length
          ? ' Log each error as it happens, with its stack every time: a log that skips or caps repeated errors, keeps one "last error" for all requests (two requests at once overwrite it), or holds lines back and never writes them out before the process exits loses errors.'
          : '') +
        (!nothing.length || noTransport ? '' : someLogged || stackOnly.length
          ? ` Every server error should reach one handler that logs it before answering, the error it was given, at one level for all: an error logged below the logger's level${mode} (warn for an error with a code such as ECONNREFUSED, under a logger that writes only error lines) never reaches the log. ` +
            'An error kept as a "last error" for all requests (two at once overwrite it), or held back in a buffer a timer writes out (lost when the process exits before it is written), is missed too.'
          : printed
            ? ' No line names these errors: JSON.stringify(err) gives {}, and a JSON logger keeps the message and stack only with an error format or serializer (winston: format.errors({ stack: true }); pino: the err key).'
            : ` Nothing was written about them before ${end}: is the log skipped${mode}, below the logger's level, kept only in a file, or held back in a buffer that is never flushed (lines a timer or a SIGTERM handler writes out are lost when the process exits, or crashes, before they are written)? ` +
              'The grader reads stdout and stderr up to the exit, where a platform collects the log, in every mode: write each line as the error happens.')
      );
    }
  }

  /** How the log check's runs with NODE_ENV unset and test ended, after an error thrown outside any request. */
  let uncaughtOutcomes: { shape: keyof typeof uncaughtShapes; mode: string; outcome: Promise<UncaughtOutcome | undefined>; output: () => string }[] | undefined;

  t.check('01.uncaught-exception-ends-process', async () => {
    // The log check's runs ended this way; run alone, the check starts servers of its own, asks for the
    // callback error (which may reach Node uncaught) and throws outside any request.
    let outcomes = uncaughtOutcomes?.length === uncaughtRuns.length ? uncaughtOutcomes : undefined;
    outcomes ??= await Promise.all(
      uncaughtRuns.map(async ([shape, env, mode]) => {
        const server = await t.server({ env: { ...env, NODE_OPTIONS: uncaughtShapes[shape].preload } });
        await server.client.get(callback.path).catch(() => undefined);
        const outcome = throwOutsideRequests(server, uncaughtShapes[shape].what);
        await outcome.catch(() => undefined).finally(() => server.stop());
        return { shape, mode, outcome, output: () => server.process.output() };
      }),
    );
    for (const { shape, mode, outcome, output } of outcomes) {
      const result = await outcome;
      if (!result) continue;
      try {
        judgeEnd(mode, result);
        judgeWrittenDown(mode, result, output(), loggedText(shape));
      } catch (error) {
        // The output of the run the message is about (red team 01 r9); its "Look at" only where that
        // output shows code of the app outside the four errors' own stacks (a handler that exits with code 0 does not).
        if (error instanceof CheckFailure) {
          const own = output();
          const requests = own.split(UNCAUGHT_MARK)[0]!.includes(UNCAUGHT_SEEN);
          Object.assign(error, {
            about: { output: own, ...(requests ? { request: { method: 'GET', path: callback.path, headers: {} } } : {}) } satisfies FailureAbout,
            locateIn: withoutThrownStacks(own),
          });
        }
        throw error;
      }
    }
  });

  /** Fails the check unless the output after the grader's throw names the error the process ended on. */
  function judgeWrittenDown(mode: string, result: UncaughtOutcome, output: string, text: string | undefined): void {
    // Ended on an error of one of its requests before the throw: that error may have been logged while it was asked for.
    if (!text || result.kept || result.early || !output.includes(UNCAUGHT_MARK)) return;
    // The whole output, not only what follows the mark: the mark goes to stderr and a logger's line to
    // stdout, two pipes read in no fixed order. No line but the throw's own names the thrown error.
    const written = output.split('\n').filter((line) => !line.startsWith('[grader] '));
    expectThat(
      written.some((line) => line.includes(text)),
      `Expected src/server.ts${mode} to write down the error it ended on (${result.after}) on stdout or stderr before it exited, got nothing that names it (${JSON.stringify(text)}). ` +
        "A process.on('uncaughtException') or process.on('unhandledRejection') handler that only calls process.exit(1) hides why the process died: the restarted one starts with no trace of the cause. " +
        'Log the error (its message and stack) and then exit 1, or install no handler and let Node print it.',
    );
  }

  /** Fails the check unless the process `result` tells of ended, with a non-zero code, after the error it was given. */
  function judgeEnd(mode: string, result: UncaughtOutcome): void {
    expectThat(
      !result.kept,
      () =>
        `Expected src/server.ts${mode} to end after an uncaught exception, but it kept serving: ${result.kept ? result.how : ''}. ` +
        "A process.on('uncaughtException') or process.on('unhandledRejection') handler (or a domain) that carries on (for every error; for some: a code such as ERR_HTTP_HEADERS_SENT, an ERR_STREAM_ one, ECONNRESET or ECONNREFUSED, a name such as AbortError, an error marked operational (err.isOperational), a rejection whose reason is no Error; in one mode such as production; or after forwarding the error to a request) leaves the process in a state nobody knows (work half done, resources held): an error nobody caught is a bug wherever it came from. " +
        'Hand request errors to Express with next(err) instead, and let an uncaught exception end the process (log it and exit, if you handle it at all), so that its supervisor starts a clean one.',
    );
    if (result.kept) return;
    expectThat(
      !result.early,
      `Expected src/server.ts${mode} to be still running for the error the grader throws outside any request (${result.after}), but it ended first, with ${result.signal ? `signal ${result.signal}` : `exit code ${result.code}`}, ` +
        `on the ${THROW_SIGNAL} the grader sent its process to make the throw (a signal Node ignores unless told otherwise), before anything was thrown. ` +
        'Nothing was thrown yet, so this says nothing about your crash handling: end the process on the signals a platform sends to stop it (SIGTERM, SIGINT), not on every signal.',
    );
    expectThat(
      result.signal !== null || result.code !== 0,
      `Expected src/server.ts${mode} to end with a non-zero exit code after ${result.after}, got exit code 0. ` +
        'Code 0 says the process stopped as asked: a supervisor that restarts a service on failure (systemd Restart=on-failure, docker --restart on-failure) leaves it stopped. ' +
        'After an uncaught exception, exit with process.exit(1) (or let Node end the process, which exits with 1).',
    );
  }
});

/** Fails the check: the app closed the connection after an error answer it announced as keep-alive. */
function cutAfter(before: { label: string; status: number; at: number }, next: string, mode: string): never {
  const after = Date.now() - before.at;
  fail(
    `Expected the keep-alive connection to serve ${next}${mode} after the ${before.status} answer to ${before.label}, but your app closed it after answering` +
      (after >= 500
        ? ` (the grader sent ${next} ${(after / 1000).toFixed(1)} s after that answer, well within Node's keep-alive timeout). An error is no reason to drop the connection, at once or a moment later: do not end or destroy the socket after an error answer. Express's built-in handler also destroys it when it receives an error whose answer has already been sent: `
        : ". Express's built-in handler destroys the connection when it receives an error whose answer has already been sent: ") +
      'call next(err) only when res.headersSent is true (an answer already under way), and otherwise answer and stop.',
  );
}

// Content-Security-Policy as a browser reads it: parsed (never compared as text), with directive
// fallbacks, source matching for the page's own files, and Google's CSP Evaluator as a second opinion.
import { createHash } from 'node:crypto';
import parseContentSecurityPolicy from 'content-security-policy-parser';
import { CspEvaluator } from 'csp_evaluator/dist/evaluator.js';
import { Severity } from 'csp_evaluator/dist/finding.js';
import { CspParser } from 'csp_evaluator/dist/parser.js';

/** One policy: directive name (lower case) to its source list. */
export type Policy = Map<string, string[]>;

/** A policy as received, with its text for messages and the evaluator. */
export interface ReceivedPolicy {
  text: string;
  directives: Policy;
}

/**
 * The policies in a header value. Several headers (or one with commas) are several policies, and a
 * browser enforces all of them: a resource loads only if every policy allows it.
 */
export function parsePolicies(value: string | undefined): ReceivedPolicy[] {
  if (!value) return [];
  return value
    .split(',')
    .map((text) => text.trim())
    .filter(Boolean)
    .map((text) => ({ text, directives: parseContentSecurityPolicy(text) }));
}

const isNonce = (source: string) => /^'nonce-[^']+'$/i.test(source);
const isHash = (source: string) => /^'sha(256|384|512)-[^']+'$/i.test(source);
const isScheme = (source: string) => /^[a-z][a-z0-9+.-]*:$/i.test(source);

/** The source list that governs `directive`, following CSP's fallback chain; undefined means no restriction. */
export function effectiveSources(policy: Policy, directive: string): string[] | undefined {
  const chains: Record<string, string[]> = {
    'script-src-elem': ['script-src-elem', 'script-src', 'default-src'],
    'script-src-attr': ['script-src-attr', 'script-src', 'default-src'],
    'script-src': ['script-src', 'default-src'],
    'style-src-elem': ['style-src-elem', 'style-src', 'default-src'],
    'style-src-attr': ['style-src-attr', 'style-src', 'default-src'],
    'object-src': ['object-src', 'default-src'],
    'frame-ancestors': ['frame-ancestors'],
  };
  for (const name of chains[directive] ?? [directive, 'default-src']) {
    const sources = policy.get(name);
    // Keywords are case-insensitive; nonces and hashes are not.
    if (sources) return sources.map((source) => (source.startsWith("'") && !isNonce(source) && !isHash(source) ? source.toLowerCase() : source));
  }
  return undefined;
}

/** Which directive a source list came from, for messages: `script-src`, or `default-src` when it fell back. */
export function governingDirective(policy: Policy, directive: string): string {
  const order = directive.endsWith('-elem') || directive.endsWith('-attr') ? [directive, directive.replace(/-(elem|attr)$/, '')] : [directive];
  return order.find((name) => policy.has(name)) ?? (policy.has('default-src') ? 'default-src' : directive);
}

export function hasNonceOrHash(sources: readonly string[]): boolean {
  return sources.some((source) => isNonce(source) || isHash(source));
}

export function noncesIn(policy: Policy): string[] {
  return [...new Set(['script-src-elem', 'script-src', 'default-src'].flatMap((name) => policy.get(name) ?? []))]
    .filter(isNonce)
    .map((source) => source.slice("'nonce-".length, -1));
}

/**
 * What would let an injected script run under this source list, in words; empty when nothing does.
 * 'unsafe-inline' is ignored by browsers once a nonce or hash is present, and with 'strict-dynamic'
 * they also ignore host and scheme sources (the fallback for old browsers in Google's strict CSP).
 * `directive` is the one the list governs: under script-src-attr, 'unsafe-inline' lets inline event
 * handlers run (onerror="…"), not <script> elements.
 */
export function scriptSourceWeaknesses(sources: readonly string[] | undefined, directive: 'script-src' | 'script-src-elem' | 'script-src-attr' = 'script-src'): string[] {
  if (!sources) return ['no script-src or default-src, so scripts from anywhere run'];
  if (sources.length === 0 || (sources.length === 1 && sources[0] === "'none'")) return [];
  const weaknesses: string[] = [];
  const nonceOrHash = hasNonceOrHash(sources);
  const strictDynamic = nonceOrHash && sources.includes("'strict-dynamic'");
  if (sources.includes("'unsafe-inline'") && !nonceOrHash) {
    const runs = {
      'script-src': 'any <script> or inline event handler (onerror="…") written into the page run',
      'script-src-elem': 'any <script> written into the page run',
      'script-src-attr': 'inline event handlers written into the page run, such as <img src=x onerror="…">',
    }[directive];
    weaknesses.push(`'unsafe-inline' lets ${runs}`);
  }
  // Event handlers are inline code: only 'unsafe-inline' (or hashes with 'unsafe-hashes') lets them run.
  if (directive === 'script-src-attr') return weaknesses;
  if (sources.includes("'unsafe-eval'")) weaknesses.push("'unsafe-eval' lets injected strings run through eval()");
  if (!strictDynamic) {
    for (const source of sources) {
      if (source.includes('*')) weaknesses.push(`the wildcard ${source} allows scripts from hosts you do not control`);
      else if (isScheme(source)) weaknesses.push(`the scheme source ${source} allows any script ${source === 'data:' ? 'written as a data: URL' : `from any ${source} URL`}`);
    }
  }
  return weaknesses;
}

/** Whether plugins (<object>, <embed>) are blocked: the effective object-src is 'none'. */
export function blocksPlugins(policy: Policy): boolean {
  const sources = effectiveSources(policy, 'object-src');
  return sources !== undefined && sources.every((source) => source === "'none'");
}

/** Google's CSP Evaluator's high-severity findings for one policy, as its own descriptions. */
export function evaluatorHighFindings(policyText: string): string[] {
  const findings = new CspEvaluator(new CspParser(policyText).csp).evaluate();
  return findings.filter((finding) => finding.severity === Severity.HIGH).map((finding) => `${finding.directive}: ${finding.description}`);
}

/** What an element of the page asks the policy for. */
export interface ElementRequest {
  /** The resolved URL of an external file, or undefined for inline content. */
  url?: URL;
  nonce?: string;
  /** The inline text (for hash sources). */
  inline?: string;
}

/** Whether a source list lets a <script> or <style>/<link rel=stylesheet> element of a page at `origin` load. */
export function allowsElement(sources: readonly string[] | undefined, element: ElementRequest, origin: URL, kind: 'script' | 'style'): boolean {
  if (!sources) return true;
  if (element.nonce && sources.includes(`'nonce-${element.nonce}'`)) return true;
  const nonceOrHash = hasNonceOrHash(sources);
  if (element.inline !== undefined) {
    if (sources.some((source) => isHash(source) && hashMatches(source, element.inline!))) return true;
    return sources.includes("'unsafe-inline'") && !nonceOrHash;
  }
  if (kind === 'script' && nonceOrHash && sources.includes("'strict-dynamic'")) return false;
  return sources.some((source) => sourceMatchesUrl(source, element.url!, origin));
}

function hashMatches(source: string, content: string): boolean {
  const [, algorithm, digest] = source.match(/^'sha(256|384|512)-([^']+)'$/i)!;
  return createHash(`sha${algorithm}`).update(content, 'utf8').digest('base64') === digest;
}

const defaultPorts: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

/** CSP Level 3 source matching, enough for same-site files: 'self', *, schemes and host sources. */
export function sourceMatchesUrl(source: string, url: URL, origin: URL): boolean {
  const schemeMatches = (scheme: string) => scheme === url.protocol || (scheme === 'http:' && url.protocol === 'https:') || (scheme === 'ws:' && url.protocol === 'wss:');
  if (source === "'self'") return url.host === origin.host && schemeMatches(origin.protocol);
  if (source === '*') return /^(https?|wss?|ftp):$/.test(url.protocol);
  if (isScheme(source)) return schemeMatches(source.toLowerCase());
  const host = source.match(/^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*|(?:\*\.)?[^/:]+)(?::(\d+|\*))?(\/[^?#]*)?$/i);
  if (!host || source.startsWith("'")) return false;
  const [, scheme, name, port, path] = host;
  if (!schemeMatches(scheme ? `${scheme.toLowerCase()}:` : origin.protocol)) return false;
  const hostname = url.hostname.toLowerCase();
  const wanted = name!.toLowerCase();
  if (wanted.startsWith('*.') ? !hostname.endsWith(wanted.slice(1)) : wanted !== '*' && wanted !== hostname) return false;
  const urlPort = url.port || defaultPorts[url.protocol];
  if (port !== '*' && (port ?? defaultPorts[scheme ? `${scheme.toLowerCase()}:` : url.protocol]) !== urlPort) return false;
  if (!path || path === '/') return true;
  return path.endsWith('/') ? url.pathname.startsWith(path) : url.pathname === path;
}

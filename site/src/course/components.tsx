import React, { type ReactNode, useEffect, useState } from 'react';
import clsx from 'clsx';
import { STATE_LABEL, type CheckStatus } from './status';
import type { CheckState } from './types';
import styles from './course.module.css';

const ICON_PATHS: Record<CheckState, ReactNode> = {
  pass: <path d="M4 8.5l2.5 2.5L12 5.5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />,
  fail: <path d="M5 5l6 6M11 5l-6 6" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />,
  error: (
    <>
      <path d="M8 4.5v4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
      <circle cx="8" cy="11.5" r="1.1" fill="currentColor" />
    </>
  ),
  'not-run': <circle cx="8" cy="8" r="3.2" fill="none" stroke="currentColor" strokeWidth="1.6" strokeDasharray="2 1.6" />,
};

/** A shape per state (tick, cross, exclamation, dashed ring), so colour is never the only signal. */
export function StatusIcon({ state, label }: { state: CheckState; label?: string }) {
  return (
    <svg
      className={clsx(styles.icon, styles[`state-${state}`])}
      viewBox="0 0 16 16"
      width="18"
      height="18"
      role={label ? 'img' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
      focusable="false"
    >
      <circle cx="8" cy="8" r="7.25" className={styles.iconRing} />
      {ICON_PATHS[state]}
    </svg>
  );
}

/** Icon and the state in words. */
export function StatusBadge({ state, children }: { state: CheckState; children?: ReactNode }) {
  return (
    <span className={clsx(styles.badge, styles[`badge-${state}`])} data-state={state}>
      <StatusIcon state={state} />
      <span>{children ?? STATE_LABEL[state]}</span>
    </span>
  );
}

let localFormat: Intl.DateTimeFormat | undefined;

/**
 * A date: UTC in the server-rendered HTML (the same for every visitor, so hydration matches), then the
 * reader's local time once the browser is idle. Making the first Intl formatter loads locale data (tens
 * of ms on a phone): done then, outside the page's hydration, and once for every date on the page.
 */
export function When({ iso }: { iso?: string }) {
  const [local, setLocal] = useState<{ iso: string; text: string }>();
  useEffect(() => {
    const date = iso ? new Date(iso) : undefined;
    if (!iso || !date || Number.isNaN(date.getTime())) return undefined;
    const format = () => {
      localFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
      setLocal({ iso, text: localFormat.format(date) });
    };
    if (typeof window.requestIdleCallback !== 'function') {
      const timer = setTimeout(format, 200);
      return () => clearTimeout(timer);
    }
    const handle = window.requestIdleCallback(format, { timeout: 2000 });
    return () => window.cancelIdleCallback(handle);
  }, [iso]);
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return <>{iso}</>;
  const text = local?.iso === iso ? local.text : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return <time dateTime={iso}>{text}</time>;
}

export function ProgressBar({ value, max, label }: { value: number; max: number; label: string }) {
  const percent = max > 0 ? Math.round((value / max) * 100) : 0;
  return (
    <div
      className={styles.bar}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
      aria-valuetext={`${value} of ${max} (${percent}%)`}
    >
      <div className={styles.barFill} style={{ width: `${percent}%` }} />
    </div>
  );
}

export function HintLevel({ level }: { level: number }) {
  if (level <= 0) return <span className={styles.muted}>no hints</span>;
  return <span>hint {level} of 4</span>;
}

/** A compact row of check states: icons with the check number, each labelled for screen readers. */
export function CheckStrip({ checks }: { checks: CheckStatus[] }) {
  if (checks.length === 0) return <span className={styles.muted}>checks being written</span>;
  return (
    <ol className={styles.strip}>
      {checks.map((check, index) => (
        <li key={check.id} title={`${index + 1}. ${check.title}: ${STATE_LABEL[check.state]}`} data-check={check.id} data-state={check.state}>
          <StatusIcon state={check.state} />
          <span className={styles.stripNumber} aria-hidden="true">
            {index + 1}
          </span>
          <span className="sr-only">{`Check ${index + 1}, ${check.title}: ${STATE_LABEL[check.state]}.`}</span>
        </li>
      ))}
    </ol>
  );
}

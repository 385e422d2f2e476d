import React, { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { usePluginData } from '@docusaurus/useGlobalData';
import type { CourseData, Progress } from './types';

interface CourseState extends CourseData {
  /** When the page last heard from the dev server (live mode only). */
  connected: boolean;
}

const CourseContext = createContext<CourseState | null>(null);

const POLL_MS = 1000;

/**
 * The registry and the learner's progress for every page. A static build shows the snapshot taken when
 * it was built. Under `npm start` the page polls the dev server, which reads .course/progress.json on
 * each request, so a grading run shows up within about a second without reloading.
 */
export function CourseProvider({ children }: { children: ReactNode }) {
  const data = usePluginData('course') as CourseData;
  const [progress, setProgress] = useState<Progress | null>(data.progress);
  const [connected, setConnected] = useState(false);

  useEffect(() => setProgress(data.progress), [data.progress]);

  useEffect(() => {
    if (!data.live) return undefined;
    let stopped = false;
    let last = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          const response = await fetch(data.progressUrl, { cache: 'no-store' });
          const text = response.ok ? await response.text() : '';
          setConnected(response.ok || response.status === 404);
          if (text !== last) {
            last = text;
            const parsed = text ? (JSON.parse(text) as Progress) : null;
            if (!stopped) setProgress(parsed && parsed.schemaVersion === 1 ? parsed : null);
          }
        } catch {
          // A half-written file cannot happen (the grader renames), but the dev server may be restarting.
          setConnected(false);
        }
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [data.live, data.progressUrl]);

  const value = useMemo(() => ({ ...data, progress, connected }), [data, progress, connected]);
  return <CourseContext.Provider value={value}>{children}</CourseContext.Provider>;
}

export function useCourse(): CourseState {
  const value = useContext(CourseContext);
  if (!value) throw new Error('useCourse() outside <CourseProvider>: is src/theme/Root.tsx in place?');
  return value;
}

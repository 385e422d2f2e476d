import { useAllDocsData } from '@docusaurus/plugin-content-docs/client';

/** Lesson id → the URL of its page, for lessons whose text exists. */
export function useLessonPaths(): Record<string, string> {
  const docs = Object.values(useAllDocsData())[0]?.versions[0]?.docs ?? [];
  return Object.fromEntries(docs.map((doc) => [doc.id, doc.path]));
}

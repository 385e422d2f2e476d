// Every lesson of the run in one check file, so that one worker grades them side by side: the
// engine uses it when a run grades several lessons, one folder each (`course grade`, a classroom's
// CI). A worker thread spends most of its CPU loading vitest, supertest and the support modules; the
// lessons' apps run in processes of their own either way. Each lesson is still a suite of its own,
// with its own hosts, servers, folders and time limit.
import { inject } from 'vitest';

// The later lessons first: 06 and 07 start processes of their own for every check and wait on them
// side by side. Declared first, their checks take the first places, and those waits overlap the
// other lessons' work instead of ending the run (all seven exercises: 7.3 s instead of 8.9 s in
// course order).
const lessons = [...new Set(inject('courseJobs').map((job) => job.lesson))].reverse();
// A full URL, not a template Vite would turn into a list of the check files there were when it
// transformed this file: that list lives on in the grader's module cache, and a lesson added since
// (a course update) would be "Unknown variable dynamic import".
for (const lesson of lessons) await import(/* @vite-ignore */ new URL(`./${lesson}.check.ts`, import.meta.url).href);

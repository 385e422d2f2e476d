// The course website, end to end: build it (without network) against progress produced by really
// grading the solutions and the pristine exercises, serve the static build, and look at it in Chromium.
// Screenshots are kept in grader/test-results/site/.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courseLessons } from '../../src/grading.js';
import { lessonsDir } from '../../src/paths.js';
import { recordResults } from '../../src/progress.js';
import type { LessonDefinition } from '../../src/registry/types.js';
import type { Results } from '../../src/results.js';
import { aggregate, parseLearnerFile, toCsv } from '../../src/roster.js';
import { gradedResults } from '../graded.js';
import { artifact, assertSiteInstalled, buildSite, chromiumPath, launchBrowser, serveStatic } from './support.js';

const SETUP_MS = 15 * 60_000;

interface Built {
  results: Results;
  resultsFile: string;
  url: string;
  close: () => Promise<void>;
}

let work: string;
let lessons: LessonDefinition[];
/** Lessons with a page: lessons/NN-slug.md (or COURSE_LESSONS_DIR, for drafts). */
let pages: string[];
let solutions: Built;
let exercises: Built;
let isolated = false;
let browser: BrowserContext;

async function buildFor(name: string, results: Results): Promise<Built> {
  const resultsFile = path.join(work, `${name}-results.json`);
  const progressFile = path.join(work, `${name}-progress.json`);
  recordResults(results, progressFile);
  const outDir = path.join(work, `build-${name}`);
  const build = await buildSite(outDir, progressFile);
  isolated = build.isolated;
  const server = await serveStatic(outDir);
  return { results, resultsFile, ...server };
}

/** Opens a page and records every console error and uncaught exception on it. */
async function visit(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
  const response = await page.goto(url, { waitUntil: 'networkidle' });
  if (!response?.ok()) errors.push(`HTTP ${response?.status()} for ${url}`);
  return { page, errors };
}

beforeAll(async () => {
  chromiumPath(); // fails the suite with the apt-get command when Chromium is missing
  assertSiteInstalled();
  work = mkdtempSync(path.join(os.tmpdir(), 'course-site-test-'));
  rmSync(artifact(''), { recursive: true, force: true });
  lessons = courseLessons();
  const lessonFolder = process.env.COURSE_LESSONS_DIR ? path.resolve(process.env.COURSE_LESSONS_DIR) : lessonsDir;
  pages = existsSync(lessonFolder)
    ? readdirSync(lessonFolder)
        .filter((file) => /^\d\d-.+\.mdx?$/.test(file))
        .map((file) => file.replace(/\.mdx?$/, ''))
        .sort()
    : [];

  const solved = gradedResults('solutions', work);
  const flawed = gradedResults('exercises', work);

  solutions = await buildFor('solutions', solved);
  exercises = await buildFor('exercises', flawed);
  browser = await launchBrowser(work);
}, SETUP_MS);

afterAll(async () => {
  await browser?.close();
  await solutions?.close();
  await exercises?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

// Each test visits many pages of a real build: more time than a unit test.
describe('the course website', { timeout: 300_000 }, () => {
  it('builds with no network', () => {
    // Where the kernel has no user namespaces the build ran with dead proxies instead: say so.
    if (!isolated) console.warn('site build: no network namespace available (unshare -rn); built with dead proxies instead.');
    expect(existsSync(path.join(work, 'build-solutions', 'index.html'))).toBe(true);
    for (const id of pages) expect(existsSync(path.join(work, 'build-solutions', 'lessons', `${id}.html`)), `page for ${id}`).toBe(true);
  });

  it('renders the home, progress and roster pages and every lesson page with no console errors', async () => {
    expect(pages.length, 'lesson pages in lessons/').toBeGreaterThan(0);
    const visited: string[] = [];
    const extra = existsSync(path.join(work, 'build-exercises', 'instructors.html')) ? ['/instructors'] : [];
    const routes = ['/', '/progress', '/roster', ...extra, ...pages.map((id) => `/lessons/${id}`)];
    for (const route of routes) {
      const { page, errors } = await visit(`${exercises.url}${route}`);
      expect(errors, `console errors on ${route}`).toEqual([]);
      const id = route.replace('/lessons/', '');
      const lesson = lessons.find((candidate) => candidate.id === id);
      if (lesson) {
        // The status panel opens the page and the registry-driven table replaces the marker block.
        await expect(page.locator('[data-lesson-status]').count()).resolves.toBe(1);
        const rows = page.locator(`[data-grader-checks="${id}"] tbody tr`);
        await expect(rows.count(), `grader-checks table of ${id}`).resolves.toBe(lesson.checks.length);
        // …and the markdown table between the markers (for GitHub readers) is not shown as well.
        await expect(page.locator('table', { hasText: 'The grader proves that' }).count()).resolves.toBe(1);
      }
      await page.screenshot({ path: artifact(`exercises${route === '/' ? '-home' : route.replace(/\//g, '-')}.png`), fullPage: true });
      await page.close();
      visited.push(route);
    }
    expect(visited).toEqual(routes);
  });

  it('shows every lesson passed after grading the solutions', async () => {
    // If the grader itself did not pass a solution (a flaky check, a slow machine), say so, not the site.
    const notPassing = solutions.results.lessons.flatMap((lesson) => lesson.tests.filter((test) => test.status !== 'pass').map((test) => `${test.id}: ${test.message}`));
    expect(notPassing, 'checks the grader did not pass on solutions/').toEqual([]);
    const { page, errors } = await visit(`${solutions.url}/progress`);
    expect(errors).toEqual([]);
    const rows = page.locator('tr[data-lesson]');
    await expect(rows.count()).resolves.toBe(lessons.length);
    for (const lesson of lessons) {
      await expect(page.locator(`tr[data-lesson="${lesson.id}"]`).getAttribute('data-state'), lesson.id).resolves.toBe('pass');
    }
    await expect(page.locator('[data-overall]').innerText()).resolves.toContain(`${lessons.length} of ${lessons.length} lessons passed`);
    await expect(page.locator('[data-progress-source]').getAttribute('data-progress-source')).resolves.toBe('snapshot');
    await page.screenshot({ path: artifact('solutions-progress.png'), fullPage: true });
    await page.close();

    for (const id of pages.filter((page) => lessons.some((lesson) => lesson.id === page))) {
      const lessonPage = (await visit(`${solutions.url}/lessons/${id}`)).page;
      await expect(lessonPage.locator('[data-lesson-status]').getAttribute('data-lesson-status'), id).resolves.toBe('pass');
      await expect(lessonPage.locator('[data-lesson-status]').innerText()).resolves.toMatch(/Passed/);
      await lessonPage.close();
    }
  });

  it('shows every lesson failing after grading the pristine exercises', async () => {
    const { page, errors } = await visit(`${exercises.url}/progress`);
    expect(errors).toEqual([]);
    for (const lesson of lessons) {
      await expect(page.locator(`tr[data-lesson="${lesson.id}"]`).getAttribute('data-state'), lesson.id).resolves.toBe('fail');
    }
    await expect(page.locator('[data-overall]').innerText()).resolves.toContain(`0 of ${lessons.length} lessons passed`);
    await page.close();

    for (const id of pages.filter((page) => lessons.some((lesson) => lesson.id === page))) {
      const lessonPage = (await visit(`${exercises.url}/lessons/${id}`)).page;
      const panel = lessonPage.locator('[data-lesson-status]');
      await expect(panel.getAttribute('data-lesson-status'), id).resolves.toBe('fail');
      // Status in words, not colour alone: every check row says Passed or Failing.
      const states = await panel.locator('li[data-check-row]').allInnerTexts();
      for (const text of states) expect(text).toMatch(/^(Passed|Failing):/);
      await lessonPage.close();
    }
  });

  it('aggregates two uploaded results files in the roster and exports the same CSV as course roster', async () => {
    const ada = path.join(work, 'ada.json');
    writeFileSync(ada, JSON.stringify({ ...solutions.results, learner: 'Ada Lovelace' }));
    const bo = path.join(work, 'bo.json');
    writeFileSync(bo, JSON.stringify(exercises.results));
    const expected = aggregate([parseLearnerFile(readFileSync(ada, 'utf8'), 'ada.json'), parseLearnerFile(readFileSync(bo, 'utf8'), 'bo.json')]);

    const { page, errors } = await visit(`${solutions.url}/roster`);
    await page.locator('[data-roster-input]').setInputFiles([ada, bo]);
    await page.locator('[data-roster-count="2"]').waitFor();
    expect(errors).toEqual([]);

    const max = solutions.results.maxScore;
    await expect(page.locator('tr[data-learner="Ada Lovelace"] [data-total]').innerText()).resolves.toContain(`${max}/${max}`);
    await expect(page.locator('tr[data-learner="bo"] [data-total]').innerText()).resolves.toContain(`${exercises.results.score}/${max}`);
    for (const lesson of lessons) {
      await expect(page.locator(`tr[data-learner="Ada Lovelace"] td[data-lesson="${lesson.id}"]`).innerText()).resolves.toContain('Passed');
      await expect(page.locator(`tr[data-learner="bo"] td[data-lesson="${lesson.id}"]`).innerText()).resolves.toContain('Failing');
    }
    // Most failed: every check the flawed exercises fail, each by one learner of two.
    const failing = exercises.results.lessons.flatMap((lesson) => lesson.tests.filter((test) => test.status !== 'pass'));
    expect(expected.mostFailed.map((check) => check.id)).toEqual(expect.arrayContaining(failing.map((test) => test.id)));
    const shown = await page.locator('[data-most-failed] tbody tr').count();
    expect(shown).toBe(Math.min(15, failing.length));
    await expect(page.locator('[data-most-failed] tbody tr').first().locator('[data-failed]').innerText()).resolves.toBe('1 of 2');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv).toBe(toCsv(expected));
    await page.screenshot({ path: artifact('roster.png'), fullPage: true });
    await page.close();
  });

  it('can be used with the keyboard alone, and reads right in dark mode', async () => {
    const { page } = await visit(`${exercises.url}/roster`);
    // Tab from the top of the page until the file picker has focus: it is reachable without a mouse.
    let reached = false;
    for (let step = 0; step < 25 && !reached; step += 1) {
      await page.keyboard.press('Tab');
      reached = await page.locator('[data-roster-input]').evaluate((input) => input === input.ownerDocument.activeElement);
    }
    expect(reached, 'the roster file picker is reachable with Tab').toBe(true);
    await page.close();

    const dark = await launchBrowser(work, { colorScheme: 'dark' });
    try {
      for (const route of ['/progress', ...pages.slice(0, 1).map((id) => `/lessons/${id}`)]) {
        const darkPage = await dark.newPage();
        await darkPage.goto(`${exercises.url}${route}`, { waitUntil: 'networkidle' });
        await expect(darkPage.locator('html').getAttribute('data-theme')).resolves.toBe('dark');
        await darkPage.screenshot({ path: artifact(`dark${route.replace(/\//g, '-')}.png`), fullPage: true });
        await darkPage.close();
      }
    } finally {
      await dark.close();
    }
  });
});

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { courseLessons } from '../src/grading.js';
import { lessonFile, withChecksTable } from '../src/lesson-docs.js';
import { checksDir, exercisesDir, solutionsDir } from '../src/paths.js';
import { findLesson, lessons } from '../src/registry/index.js';

describe('the registry', () => {
  test('lessons are numbered 1, 2, 3… in order, with NN-slug ids', () => {
    lessons.forEach((lesson, index) => {
      expect(lesson.number).toBe(index + 1);
      expect(lesson.id).toMatch(new RegExp(`^${String(index + 1).padStart(2, '0')}-[a-z]+(-[a-z]+)*$`));
    });
  });

  test('check ids are unique, start with their lesson number and have a four-step hint ladder', () => {
    const ids = new Set<string>();
    for (const lesson of courseLessons()) {
      for (const check of lesson.checks) {
        expect(ids.has(check.id), check.id).toBe(false);
        ids.add(check.id);
        expect(check.id).toMatch(new RegExp(`^${lesson.id.slice(0, 2)}\\.[a-z0-9]+(-[a-z0-9]+)*$`));
        expect(Number.isInteger(check.points) && check.points > 0, check.id).toBe(true);
        expect(check.hints).toHaveLength(4);
        for (const hint of check.hints) expect(hint.trim().length, check.id).toBeGreaterThan(10);
      }
    }
  });

  test('every lesson has its four files: lesson text, exercise, solution, checks', () => {
    for (const lesson of courseLessons()) {
      expect(existsSync(lessonFile(lesson)), lessonFile(lesson)).toBe(true);
      for (const root of [exercisesDir, solutionsDir]) {
        for (const file of ['package.json', 'src/app.ts', 'src/server.ts']) {
          expect(existsSync(path.join(root, lesson.id, file)), `${root}/${lesson.id}/${file}`).toBe(true);
        }
      }
      expect(existsSync(path.join(checksDir, `${lesson.id}.check.ts`))).toBe(true);
    }
  });

  test("each lesson's text lists exactly the registry's checks (npx course sync-lessons regenerates it)", () => {
    for (const lesson of courseLessons()) {
      const text = readFileSync(lessonFile(lesson), 'utf8');
      expect(withChecksTable(text, lesson), `${lesson.id}: run npx course sync-lessons`).toBe(text);
    }
  });

  test('the requirement trace: every requirement is proven by checks of its lesson, and every check proves one', () => {
    for (const lesson of courseLessons()) {
      const ids = new Set(lesson.checks.map((check) => check.id));
      expect(lesson.requirements.length, `${lesson.id} lists no requirements`).toBeGreaterThan(0);
      const proven = new Set<string>();
      for (const requirement of lesson.requirements) {
        expect(requirement.text.trim().length, `${lesson.id}: a requirement without text`).toBeGreaterThan(10);
        expect(requirement.checks.length, `${lesson.id}: "${requirement.text}" names no check; word it as advice instead`).toBeGreaterThan(0);
        for (const id of requirement.checks) {
          expect(ids.has(id), `${lesson.id}: "${requirement.text}" names ${id}, which is not one of its checks`).toBe(true);
          proven.add(id);
        }
      }
      for (const id of ids) expect(proven.has(id), `${lesson.id}: ${id} proves none of the lesson's requirements`).toBe(true);
      for (const advice of lesson.advice) expect(advice.trim().length, `${lesson.id}: empty advice`).toBeGreaterThan(10);
    }
  });

  test("a lesson's part is the one its text's front matter names for the sidebar (sidebar_custom_props.part)", () => {
    for (const lesson of courseLessons()) {
      const frontMatter = readFileSync(lessonFile(lesson), 'utf8').match(/^---\n([^]*?)\n---/)?.[1] ?? '';
      const named = frontMatter.match(/^sidebar_custom_props:\s*\n\s+part:\s*(.+)$/m)?.[1]?.trim().replace(/^(['"])(.*)\1$/, '$2');
      expect(named, `${lesson.id}: the registry's part and the text's sidebar_custom_props.part`).toBe(lesson.part);
    }
  });

  test('lessons are found by number, padded number, id or slug', () => {
    const first = lessons[0]!;
    for (const name of ['1', '01', first.id, first.id.slice(3)]) expect(findLesson(name)).toBe(first);
    expect(findLesson('99')).toBeUndefined();
  });
});

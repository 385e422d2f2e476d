/**
 * JUnit XML for any CI (GitLab's artifacts:reports:junit, Jenkins, GitHub test reporters): one
 * testsuite per lesson, one testcase per check. A failing check is a <failure> with the one-line
 * message and the curl reproduction; a check the grader could not judge (the app did not load, a
 * time limit, a missing service) is an <error>. Points are properties, of the suite and of each case.
 */
import type { LessonResult, Results, TestResult } from '../results.js';
import { neutralize } from './github.js';

/** Characters XML 1.0 cannot hold at all (control characters, lone surrogates, U+FFFE/U+FFFF) are dropped. */
function xmlText(text: string): string {
  return text
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

function attribute(text: string): string {
  return xmlText(text).replaceAll('"', '&quot;').replaceAll('\n', '&#10;').replaceAll('\r', '&#13;').replaceAll('\t', '&#9;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function property(name: string, value: string | number): string {
  return `<property name="${attribute(name)}" value="${attribute(String(value))}"/>`;
}

/** The case name: the check id (unique in the course) and its behaviour. */
export function caseName(test: Pick<TestResult, 'id' | 'title'>): string {
  return `${test.id}: ${test.title}`;
}

function testCase(lesson: LessonResult, test: TestResult): string[] {
  const open = `    <testcase classname="${attribute(lesson.id)}" name="${attribute(caseName(test))}" time="${seconds(test.durationMs)}">`;
  const lines = [open, `      <properties>${property('points', test.points)}${property('score', test.score)}</properties>`];
  if (test.status !== 'pass') {
    const tag = test.status === 'error' ? 'error' : 'failure';
    const message = test.message.split('\n')[0] || 'This check did not pass.';
    const body = [test.message, test.curl && `Try it: ${test.curl}`, test.location && `Look at: ${test.location}`].filter(Boolean).join('\n');
    lines.push(`      <${tag} message="${attribute(neutralize(message))}" type="${tag === 'error' ? 'CannotJudge' : 'CheckFailure'}">${xmlText(neutralize(body))}</${tag}>`);
    if (test.output?.trim()) lines.push(`      <system-out>${xmlText(neutralize(test.output))}</system-out>`);
  }
  lines.push('    </testcase>');
  return lines;
}

function counts(tests: readonly TestResult[]) {
  return {
    tests: tests.length,
    failures: tests.filter((test) => test.status === 'fail').length,
    errors: tests.filter((test) => test.status === 'error').length,
  };
}

export function junitXml(results: Results): string {
  const all = results.lessons.flatMap((lesson) => lesson.tests);
  const total = counts(all);
  const time = results.lessons.reduce((sum, lesson) => sum + lesson.durationMs, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attribute(`Production-Ready Express (${results.target})`)}" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" time="${seconds(time)}">`,
  ];
  results.lessons.forEach((lesson, index) => {
    const count = counts(lesson.tests);
    lines.push(
      `  <testsuite name="${attribute(`${lesson.id} ${lesson.title}`)}" id="${index}" tests="${count.tests}" failures="${count.failures}" errors="${count.errors}" skipped="0" time="${seconds(lesson.durationMs)}" timestamp="${attribute(lesson.gradedAt.replace(/(\.\d+)?Z$/, ''))}">`,
      `    <properties>${property('lesson', lesson.number)}${property('score', lesson.score)}${property('maxScore', lesson.maxScore)}${property('status', lesson.status)}</properties>`,
      ...lesson.tests.flatMap((test) => testCase(lesson, test)),
      '  </testsuite>',
    );
  });
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

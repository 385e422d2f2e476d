import React from 'react';
import Link from '@docusaurus/Link';
import Layout from '@theme/Layout';
import Heading from '@theme/Heading';
import { CheckStrip, ProgressBar, StatusBadge, StatusIcon, When } from '@site/src/course/components';
import { useCourse } from '@site/src/course/CourseContext';
import { useLessonPaths } from '@site/src/course/links';
import { lessonStatus, STATE_EXPLAINED, STATE_LABEL } from '@site/src/course/status';
import type { CheckState } from '@site/src/course/types';
import styles from './progress.module.css';

const LEGEND: CheckState[] = ['pass', 'fail', 'error', 'not-run'];

export default function ProgressPage() {
  const { lessons, progress, live, connected } = useCourse();
  const paths = useLessonPaths();
  const statuses = lessons.filter((lesson) => lesson.checks.length > 0).map((lesson) => lessonStatus(lesson, progress));
  const score = statuses.reduce((sum, status) => sum + status.score, 0);
  const maxScore = statuses.reduce((sum, status) => sum + status.maxScore, 0);
  const checks = statuses.flatMap((status) => status.checks);
  const passedChecks = checks.filter((check) => check.state === 'pass').length;
  const passedLessons = statuses.filter((status) => status.state === 'pass').length;
  const placeholders = lessons.filter((lesson) => lesson.checks.length === 0);

  return (
    <Layout title="Your progress" description="Your progress through the course, from the grader's latest results.">
      <main className="container margin-vert--lg">
        <Heading as="h1">Your progress</Heading>
        <p className={styles.source} data-progress-source={live ? 'live' : 'snapshot'}>
          {live ? (
            <>
              Live from the grader{connected ? '' : ' (waiting for the dev server)'}: <code>npm start</code> re-grades on
              every save and this page follows.
            </>
          ) : (
            <>Snapshot of the grader&apos;s results when this site was built.</>
          )}{' '}
          {progress ? (
            <>
              Last graded <When iso={progress.updatedAt} />.
            </>
          ) : (
            <>Nothing graded yet: run <code>npm start</code> or <code>npx course grade</code>.</>
          )}
        </p>

        <section aria-labelledby="overall" className={styles.overall}>
          <Heading as="h2" id="overall" className={styles.overallTitle}>
            Overall
          </Heading>
          <ProgressBar value={score} max={maxScore} label="Points across the course" />
          <p data-overall aria-live="polite">
            <strong>
              {passedLessons} of {statuses.length} lessons passed
            </strong>{' '}
            · {passedChecks} of {checks.length} checks pass · {score}/{maxScore} points
          </p>
        </section>

        <section aria-labelledby="by-lesson">
          <Heading as="h2" id="by-lesson">
            Lessons and their checks
          </Heading>
          <ul className={styles.legend} aria-label="Legend">
            {LEGEND.map((state) => (
              <li key={state}>
                <StatusIcon state={state} />
                <span>
                  <strong>{STATE_LABEL[state]}</strong> {STATE_EXPLAINED[state]}
                </span>
              </li>
            ))}
          </ul>
          <div className={styles.tableWrap}>
            <table className={styles.table}>
              <thead>
                <tr>
                  <th scope="col">Lesson</th>
                  <th scope="col">Status</th>
                  <th scope="col">Checks, in order</th>
                  <th scope="col" className={styles.num}>
                    Points
                  </th>
                  <th scope="col" className={styles.num}>
                    Hints used
                  </th>
                </tr>
              </thead>
              <tbody>
                {statuses.map((status) => {
                  const path = paths[status.lesson.id];
                  const name = `${status.lesson.number.toString().padStart(2, '0')} · ${status.lesson.title}`;
                  const hints = status.checks.reduce((sum, check) => sum + check.hintLevel, 0);
                  return (
                    <tr key={status.lesson.id} data-lesson={status.lesson.id} data-state={status.state}>
                      <th scope="row">{path ? <Link to={path}>{name}</Link> : name}</th>
                      <td>
                        <StatusBadge state={status.state} />
                      </td>
                      <td>
                        <CheckStrip checks={status.checks} />
                        <span className={styles.count}>
                          {status.passed}/{status.checks.length} pass
                        </span>
                      </td>
                      <td className={styles.num}>
                        {status.score}/{status.maxScore}
                      </td>
                      <td className={styles.num}>{hints}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {placeholders.length > 0 && (
            <p className={styles.source}>
              Being written: {placeholders.map((lesson) => `${lesson.number.toString().padStart(2, '0')} · ${lesson.title}`).join(', ')}.
            </p>
          )}
        </section>
      </main>
    </Layout>
  );
}

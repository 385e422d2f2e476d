import React from 'react';
import Link from '@docusaurus/Link';
import Layout from '@theme/Layout';
import Heading from '@theme/Heading';
import { CheckStrip, ProgressBar, StatusBadge, When } from '@site/src/course/components';
import { useCourse } from '@site/src/course/CourseContext';
import { useLessonPaths } from '@site/src/course/links';
import { currentLesson, lessonStatus } from '@site/src/course/status';
import styles from './index.module.css';

export default function Home() {
  const { lessons, progress, live } = useCourse();
  const paths = useLessonPaths();
  const statuses = lessons.map((lesson) => lessonStatus(lesson, progress));
  const course = statuses.filter((status) => status.lesson.checks.length > 0);
  const passed = course.filter((status) => status.state === 'pass').length;
  const current = currentLesson(lessons.filter((lesson) => paths[lesson.id]), progress);
  const started = course.some((status) => status.state !== 'not-run');
  const currentPath = current && paths[current.id];

  return (
    <Layout description="An interactive course: fix deliberately flawed Express apps until they survive production, then ship them.">
      <header className={styles.hero}>
        <div className="container">
          <Heading as="h1" className={styles.title}>
            Production-Ready Express
          </Heading>
          <p className={styles.tagline}>
            You can write an Express route. This course gets you to a service that survives production: seven small
            bookshop APIs, each with one flaw that real teams ship, then the same shop with all seven fixes to ship, and
            a grader that proves your fix by how the app behaves over HTTP.
          </p>
          <div className={styles.actions}>
            {currentPath ? (
              <Link className="button button--primary button--lg" to={currentPath}>
                {started ? 'Continue' : 'Start'}: {current!.number.toString().padStart(2, '0')} · {current!.title}
              </Link>
            ) : null}
            <Link className="button button--secondary button--lg" to="/progress">
              Your progress
            </Link>
          </div>
          {course.length > 0 && (
            <div className={styles.overall}>
              <ProgressBar value={passed} max={course.length} label="Lessons passed" />
              <p>
                {passed} of {course.length} lessons passed
                {progress ? (
                  <>
                    {' '}
                    · {live ? 'last graded' : 'snapshot graded'} <When iso={progress.updatedAt} />
                  </>
                ) : (
                  ' · nothing graded yet'
                )}
              </p>
            </div>
          )}
        </div>
      </header>

      <main className="container margin-vert--lg">
        <section aria-labelledby="how" className={styles.section}>
          <Heading as="h2" id="how">
            How it works
          </Heading>
          <ol className={styles.steps}>
            <li>
              <strong>Set up once.</strong> <code>npm install</code> at the root of the repository.
            </li>
            <li>
              <strong>Run the loop.</strong> <code>npm start</code> opens this site on your current lesson and re-grades
              the lesson whenever you save a file in <code>exercises/</code>.
            </li>
            <li>
              <strong>Fix the flaw.</strong> Read why it matters, change the app, watch the checks turn green. Stuck?{' '}
              <code>npx course hint 3</code> climbs a four-step hint ladder.
            </li>
          </ol>
        </section>

        <section aria-labelledby="lessons" className={styles.section}>
          <Heading as="h2" id="lessons">
            Lessons
          </Heading>
          <ol className={styles.lessons}>
            {statuses.map((status) => {
              const path = paths[status.lesson.id];
              const number = status.lesson.number.toString().padStart(2, '0');
              return (
                <li key={status.lesson.id} className={styles.lesson} data-lesson={status.lesson.id}>
                  <div className={styles.lessonHead}>
                    <Heading as="h3" className={styles.lessonTitle}>
                      {path ? (
                        <Link to={path}>
                          {number} · {status.lesson.title}
                        </Link>
                      ) : (
                        <>
                          {number} · {status.lesson.title} <span className={styles.soon}>(being written)</span>
                        </>
                      )}
                    </Heading>
                    {status.lesson.checks.length > 0 && <StatusBadge state={status.state}>{badgeText(status)}</StatusBadge>}
                  </div>
                  {status.lesson.summary && <p className={styles.summary}>{status.lesson.summary}</p>}
                  <CheckStrip checks={status.checks} />
                </li>
              );
            })}
          </ol>
        </section>

        <section aria-labelledby="instructors" className={styles.section}>
          <Heading as="h2" id="instructors">
            For instructors
          </Heading>
          <p>
            Collect your learners&apos; results files (<code>npx course grade --json results.json</code>, or the CI
            artifact of their repository) and drop them on the <Link to="/roster">roster</Link>: learners by lessons,
            the checks most failed in the room, and a CSV. Everything stays in your browser.
          </p>
        </section>
      </main>
    </Layout>
  );
}

function badgeText(status: ReturnType<typeof lessonStatus>): string {
  if (status.state === 'not-run') return 'Not graded yet';
  if (status.state === 'pass') return `Passed · ${status.score}/${status.maxScore}`;
  if (status.state === 'error') return `Not judged · ${status.score}/${status.maxScore}`;
  return `Failing · ${status.score}/${status.maxScore}`;
}

import React from 'react';
import { CheckStrip, HintLevel, ProgressBar, StatusBadge, StatusIcon, When } from './components';
import { useCourse } from './CourseContext';
import { lessonStatus, STATE_LABEL } from './status';
import styles from './course.module.css';

/** Opens each lesson page: where this lesson stands, check by check, from the grader's latest run. */
export default function LessonPanel({ lessonId }: { lessonId: string }) {
  const { lessons, progress, live } = useCourse();
  const lesson = lessons.find((candidate) => candidate.id === lessonId);
  if (!lesson) return null;
  const status = lessonStatus(lesson, progress);
  const headingId = `status-${lesson.id}`;

  let summary: string;
  if (lesson.checks.length === 0) summary = 'The checks of this lesson are being written.';
  else if (status.state === 'not-run') summary = `Not graded yet: ${lesson.checks.length} checks to pass.`;
  else summary = `${status.passed} of ${status.checks.length} checks pass · ${status.score}/${status.maxScore} points`;

  return (
    <section className={styles.panel} aria-labelledby={headingId} data-lesson-status={status.state}>
      <div className={styles.panelHead}>
        <h2 id={headingId} className={styles.panelTitle}>
          Your status
        </h2>
        <StatusBadge state={status.state}>{status.state === 'not-run' ? 'Not graded yet' : STATE_LABEL[status.state]}</StatusBadge>
      </div>
      <p className={styles.panelSummary} aria-live="polite">
        {summary}
      </p>
      {lesson.checks.length > 0 && <ProgressBar value={status.score} max={status.maxScore} label={`Lesson ${lesson.number} points`} />}
      {lesson.checks.length > 0 && <CheckStrip checks={status.checks} />}
      {lesson.checks.length > 0 && (
        // Open while something fails, so the expectations are the first thing the learner reads.
        <details className={styles.details} open={status.state === 'fail' || status.state === 'error'}>
          <summary>
            <span className={styles.detailsLabel}>Each check{status.state === 'fail' || status.state === 'error' ? ', and what went wrong' : ''}</span>
          </summary>
          <ul className={styles.checkList}>
            {status.checks.map((check) => (
              <li key={check.id} data-check-row={check.id} data-state={check.state}>
                <StatusIcon state={check.state} />
                <div>
                  <span className={styles.checkState}>{STATE_LABEL[check.state]}:</span> {check.title}{' '}
                  <span className={styles.meta}>
                    ({check.score}/{check.points} {check.points === 1 ? 'point' : 'points'} · <HintLevel level={check.hintLevel} />)
                  </span>
                  {check.state !== 'pass' && check.message && <div className={styles.message}>{check.message}</div>}
                </div>
              </li>
            ))}
          </ul>
        </details>
      )}
      <p className={styles.panelFoot}>
        {status.gradedAt ? (
          <>
            Graded <When iso={status.gradedAt} />.{' '}
          </>
        ) : null}
        {live ? (
          <>
            Updates live while <code>npm start</code> runs: save a file in <code>exercises/{lesson.id}/</code> to re-grade.
          </>
        ) : (
          <>
            Snapshot of the grader&apos;s results when this site was built. Grade yourself with <code>npx course grade {lesson.number}</code>.
          </>
        )}
      </p>
    </section>
  );
}

import React from 'react';
import { StatusBadge } from './components';
import { useCourse } from './CourseContext';
import { lessonStatus } from './status';
import styles from './course.module.css';

/**
 * "What the grader checks", from the registry (so it cannot drift from the checks), with the learner's
 * status of each. The remark plugin puts it where the lesson's marker lines are.
 */
export default function GraderChecks({ lesson: lessonId }: { lesson: string }) {
  const { lessons, progress } = useCourse();
  const lesson = lessons.find((candidate) => candidate.id === lessonId);
  if (!lesson) return <p>This lesson is not in the grader&apos;s registry yet.</p>;
  if (lesson.checks.length === 0) return <p>The checks of this lesson are being written.</p>;
  const status = lessonStatus(lesson, progress);
  return (
    <div className={styles.tableWrap}>
      <table className={styles.checksTable} data-grader-checks={lesson.id}>
        <thead>
          <tr>
            <th scope="col">The grader proves that…</th>
            <th scope="col" className={styles.num}>
              Points
            </th>
            <th scope="col">You</th>
          </tr>
        </thead>
        <tbody>
          {status.checks.map((check) => (
            <tr key={check.id} data-check={check.id}>
              <td>
                {check.title}
                <div className={styles.meta}>
                  <code className={styles.checkId}>{check.id}</code>
                  {check.guards && <> · guards what the flawed app already does right: {check.guards}</>}
                </div>
              </td>
              <td className={styles.num}>{check.points}</td>
              <td>
                <StatusBadge state={check.state} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

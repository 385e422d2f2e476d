import React, { type DragEvent, useId, useMemo, useRef, useState } from 'react';
import Layout from '@theme/Layout';
import Heading from '@theme/Heading';
import { aggregate, type LearnerEntry, parseLearnerFile, toCsv } from '@course/roster';
import { StatusBadge, When } from '@site/src/course/components';
import styles from './roster.module.css';

interface Loaded {
  key: string;
  entry: LearnerEntry;
}

/**
 * The instructor's roster: results files picked or dropped here are read by the browser and never leave
 * it. The same functions (grader/src/roster.ts) print `course roster` in the terminal.
 */
export default function RosterPage() {
  const [loaded, setLoaded] = useState<Loaded[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const roster = useMemo(() => aggregate(loaded.map((item) => item.entry)), [loaded]);

  const addFiles = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    const next: Loaded[] = [];
    const problems: string[] = [];
    for (const file of Array.from(files)) {
      try {
        next.push({ key: `${file.name}:${file.size}:${file.lastModified}`, entry: parseLearnerFile(await file.text(), file.name) });
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    setErrors(problems);
    // Picking the same file again replaces it rather than counting the learner twice.
    setLoaded((current) => [...current.filter((item) => !next.some((added) => added.key === item.key)), ...next]);
    if (input.current) input.current.value = '';
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void addFiles(event.dataTransfer.files);
  };

  const downloadCsv = () => {
    const url = URL.createObjectURL(new Blob([toCsv(roster)], { type: 'text/csv;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `roster-${new Date().toISOString().slice(0, 10)}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <Layout title="Roster" description="Learners by lessons from their results files, in your browser.">
      <main className="container margin-vert--lg">
        <Heading as="h1">Roster</Heading>
        <p className={styles.lead}>
          For instructors: add your learners&apos; results files, from <code>npx course grade --json results.json</code> or
          their CI artifacts (a <code>.course/progress.json</code> works too). Files are read here, in your browser; nothing
          is uploaded. A learner is named by the file&apos;s <code>learner</code> field, or else by its file name.
        </p>

        <div
          className={styles.drop}
          data-dragging={dragging || undefined}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <label htmlFor={inputId} className={styles.dropLabel}>
            Drop results files here, or choose them:
          </label>
          <input
            ref={input}
            id={inputId}
            type="file"
            accept=".json,application/json"
            multiple
            onChange={(event) => void addFiles(event.currentTarget.files)}
            data-roster-input
          />
          <div className={styles.buttons}>
            <button type="button" className="button button--primary" onClick={downloadCsv} disabled={roster.rows.length === 0}>
              Download CSV
            </button>
            <button
              type="button"
              className="button button--secondary"
              onClick={() => {
                setLoaded([]);
                setErrors([]);
              }}
              disabled={loaded.length === 0 && errors.length === 0}
            >
              Clear
            </button>
          </div>
        </div>

        {errors.length > 0 && (
          <div role="alert" className="alert alert--danger margin-vert--md">
            <strong>Some files could not be read:</strong>
            <ul>
              {errors.map((error) => (
                <li key={error}>{error}</li>
              ))}
            </ul>
          </div>
        )}

        <p aria-live="polite" className={styles.count} data-roster-count={roster.rows.length}>
          {roster.rows.length === 0 ? 'No learners yet.' : `${roster.rows.length} ${roster.rows.length === 1 ? 'learner' : 'learners'}.`}
        </p>

        {roster.rows.length > 0 && (
          <>
            <section aria-labelledby="learners">
              <Heading as="h2" id="learners">
                Learners by lesson
              </Heading>
              <div className={styles.tableWrap}>
                <table className={styles.table} data-roster-table>
                  <thead>
                    <tr>
                      <th scope="col">Learner</th>
                      {roster.lessons.map((lesson) => (
                        <th scope="col" key={lesson.id} title={lesson.title}>
                          {lesson.number.toString().padStart(2, '0')} · {lesson.title}
                        </th>
                      ))}
                      <th scope="col" className={styles.num}>
                        Total
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {roster.rows.map((row) => (
                      <tr key={row.learner} data-learner={row.learner}>
                        <th scope="row">
                          {row.learner}
                          <div className={styles.meta}>
                            graded <When iso={row.gradedAt} />
                          </div>
                        </th>
                        {roster.lessons.map((lesson) => {
                          const cell = row.cells[lesson.id];
                          return (
                            <td key={lesson.id} data-lesson={lesson.id}>
                              {cell ? (
                                <StatusBadge state={cell.status}>
                                  {cell.status === 'pass' ? 'Passed' : cell.status === 'fail' ? 'Failing' : 'Not judged'} {cell.score}/{cell.maxScore}
                                </StatusBadge>
                              ) : (
                                <StatusBadge state="not-run">Not graded</StatusBadge>
                              )}
                            </td>
                          );
                        })}
                        <td className={styles.num} data-total>
                          {row.score}/{row.maxScore}
                          <div className={styles.meta}>
                            {row.lessonsPassed}/{roster.lessons.length} lessons
                          </div>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>

            <section aria-labelledby="most-failed">
              <Heading as="h2" id="most-failed">
                Checks most failed across the room
              </Heading>
              {roster.mostFailed.length === 0 ? (
                <p>Every graded check passes for every learner.</p>
              ) : (
                <div className={styles.tableWrap}>
                  <table className={styles.table} data-most-failed>
                    <thead>
                      <tr>
                        <th scope="col">Check</th>
                        <th scope="col" className={styles.num}>
                          Not passing
                        </th>
                        <th scope="col">Learners</th>
                      </tr>
                    </thead>
                    <tbody>
                      {roster.mostFailed.slice(0, 15).map((check) => (
                        <tr key={check.id} data-check={check.id}>
                          <td>
                            {check.title}
                            <div className={styles.meta}>
                              <code>{check.id}</code>
                            </div>
                          </td>
                          <td className={styles.num} data-failed={check.failed}>
                            {check.failed} of {check.graded}
                          </td>
                          <td>{check.learners.join(', ')}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
          </>
        )}
      </main>
    </Layout>
  );
}

// Replaces the block between the lesson's marker lines (filled with a markdown table for GitHub readers
// by `course sync-lessons`) by <GraderChecks lesson="NN-slug"/>: the same table from the registry, with
// the learner's live status of each check.
import path from 'node:path';

const START = '<!-- grader-checks:start -->';
const END = '<!-- grader-checks:end -->';

export default function remarkGraderChecks() {
  return (tree, file) => {
    const lesson = path.basename(file.path ?? '', path.extname(file.path ?? ''));
    if (!/^\d\d-/.test(lesson)) return;
    const children = tree.children;
    const start = children.findIndex((node) => node.type === 'html' && node.value.includes(START));
    if (start < 0) return;
    const end = children.findIndex((node, index) => index >= start && node.type === 'html' && node.value.includes(END));
    if (end < 0) throw new Error(`${file.path}: ${START} has no ${END} after it.`);
    children.splice(start, end - start + 1, {
      type: 'mdxJsxFlowElement',
      name: 'GraderChecks',
      attributes: [{ type: 'mdxJsxAttribute', name: 'lesson', value: lesson }],
      children: [],
    });
  };
}

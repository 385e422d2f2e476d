import MDXComponents from '@theme-original/MDXComponents';
import GraderChecks from '@site/src/course/GraderChecks';

// <GraderChecks/> is inserted by plugins/course/remark-grader-checks.mjs, never written by hand.
export default { ...MDXComponents, GraderChecks };

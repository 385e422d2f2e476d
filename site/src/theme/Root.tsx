import React, { type ReactNode } from 'react';
import { CourseProvider } from '@site/src/course/CourseContext';

export default function Root({ children }: { children: ReactNode }) {
  return <CourseProvider>{children}</CourseProvider>;
}

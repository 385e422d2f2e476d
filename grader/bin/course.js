#!/usr/bin/env node
// The `course` command. The CLI is TypeScript, run through tsx so that contributors never build it.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');

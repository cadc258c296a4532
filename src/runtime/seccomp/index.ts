export { compileSeccomp, type CompiledSeccomp } from './compile.js';

export { introspectNode } from './introspect-node';
export { reapplyNode } from './reapply-node';

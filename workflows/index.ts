export { introspectNode } from './introspect-node';

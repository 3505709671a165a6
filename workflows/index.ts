export { introspectNode } from './introspect-node';
export { reapplyNode } from './reapply-node';
export { discoverNode } from './discover-node';
export { bulkIntrospection } from './bulk-introspection';
export { verifyBmc } from './verify-bmc';
export { nodePower } from './node-power';

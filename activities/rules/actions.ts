import { deepEqual } from '../../common/deep-equal';
import { toText } from '../../common/value-text';
import { parseCapabilities, serializeCapabilities } from '../hooks/capabilities-string';
import { HookError, type HookContext } from '../hooks/types';
import { nodeView } from './fields';
import { formatValue, type FormatVariables } from './format';
import { assertSafeKey, childValue } from './keys';
import type { Action } from './schema';

// Actions of introspection rules, one function per action, after ironic-inspector's
// plugins/rules.py. They write into ctx.patch (never into ctx.node): set-attribute and
// extend-attribute on node properties/extra, set-attribute on driver_info (how discovered
// nodes get their BMC credentials), traits, capabilities; fail ends the introspection with
// the rule's message.

export const ACTION_NAMES = ['fail', 'set-attribute', 'extend-attribute', 'add-trait', 'remove-trait', 'set-capability'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Ironic's trait names: CUSTOM_[A-Z0-9_]+ or a standard (os-traits, upper-case) name. */
export { TRAIT_PATTERN } from '../../nodes/schema';
import { TRAIT_PATTERN } from '../../nodes/schema';
import { isBmcAddressField, isSecretKey, SECRET_MASK } from '../../nodes/secrets';

/** Thrown by the `fail` action: the introspection ends with exactly the rule's message. */
export class RuleFailError extends HookError {
  constructor(message: string) {
    super(message);
    this.name = 'RuleFailError';
  }
}

export type AttributeRoot = 'properties' | 'extra' | 'driver_info';

export interface AttributePath<Root extends AttributeRoot = AttributeRoot> {
  root: Root;
  /** Tokens below the root, at least one (JSON-pointer unescaped); exactly one below driver_info. */
  tokens: string[];
}

/**
 * Parses a JSON pointer as ironic uses in node patches (`/properties/cpus`,
 * `/extra/foo/bar`, `/driver_info/ipmi_username`). Rules write node properties and extra;
 * with `setDriverInfo` (set-attribute), also one key of driver_info, which they never read (it
 * holds the BMC credentials): never one that says where the BMC is, so that no agent's data
 * can send a node's BMC commands, and its credentials, elsewhere.
 */
export function parseAttributePath(path: string): AttributePath<'properties' | 'extra'>;
export function parseAttributePath(path: string, setDriverInfo: boolean): AttributePath;
export function parseAttributePath(path: string, setDriverInfo = false): AttributePath {
  if (!path.startsWith('/')) throw new Error(`path ${JSON.stringify(path)} must be a JSON pointer starting with "/"`);
  const tokens = path
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~(?![01])/.test(t)) throw new Error(`path ${JSON.stringify(path)}: invalid "~" escape`);
      return t.replace(/~1/g, '/').replace(/~0/g, '~');
    });
  const [root, ...rest] = tokens;
  if (root === 'driver_info' && !setDriverInfo) {
    throw new Error(`path ${JSON.stringify(path)} is not allowed: driver_info cannot be read by rules, only set by set-attribute`);
  }
  if (root !== 'properties' && root !== 'extra' && root !== 'driver_info') {
    throw new Error(`path ${JSON.stringify(path)} is not allowed: rules may only write /properties/..., /extra/... or /driver_info/<key>`);
  }
  if (rest.length === 0 || rest[0] === '') {
    throw new Error(`path ${JSON.stringify(path)} must name a key below /${root}/`);
  }
  if (root === 'driver_info' && rest.length > 1) throw new Error(`path ${JSON.stringify(path)}: driver_info holds no nested values`);
  if (root === 'driver_info' && isBmcAddressField(rest[0]!)) {
    throw new Error(`path ${JSON.stringify(path)} is not allowed: where the BMC is comes from the BMC itself or an operator, never from a rule`);
  }
  for (const token of rest) assertSafeKey(token, `path ${JSON.stringify(path)}`);
  return { root, tokens: rest };
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

/** The current value at an attribute path in the node view (undefined when absent). */
export function readAttribute(ctx: HookContext, path: string): unknown {
  const { root, tokens } = parseAttributePath(path);
  let value: unknown = nodeView(ctx)[root];
  for (const token of tokens) value = childValue(value, token);
  return value;
}

/**
 * Writes `value` at an attribute path into ctx.patch. The patch holds whole top-level
 * keys (`patch.properties.x`): nested writes start from the node view's current value,
 * so sibling keys survive. `insert` = JSON-patch "add" on a list (insert at index, or
 * `-` to append); otherwise an index replaces. Missing intermediate objects are created.
 */
function writeAttribute(ctx: HookContext, path: string, value: unknown, insert: boolean): void {
  const { root, tokens } = parseAttributePath(path, true);
  const [top, ...rest] = tokens as [string, ...string[]];
  if (root === 'driver_info') {
    ctx.patch.driverInfo = { ...ctx.patch.driverInfo, [top]: value };
    return;
  }
  const target = ctx.patch[root];
  if (rest.length === 0) {
    target[top] = value;
    return;
  }
  const current = childValue(nodeView(ctx)[root], top);
  if (current !== undefined && current !== null && !isContainer(current)) {
    throw new Error(`cannot write ${path}: /${root}/${top} is ${describe(current)}`);
  }
  const doc: Container = isContainer(current) ? structuredClone(current) : {};
  let parent: Container = doc;
  for (const token of rest.slice(0, -1)) {
    let next = childValue(parent, token);
    if (next === undefined || next === null) {
      if (Array.isArray(parent)) throw new Error(`cannot write ${path}: no list element ${token}`);
      next = {};
      parent[token] = next;
    }
    if (!isContainer(next)) throw new Error(`cannot write ${path}: "${token}" is ${describe(next)}`);
    parent = next;
  }
  const last = rest[rest.length - 1]!;
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : /^\d+$/.test(last) ? Number(last) : NaN;
    if (!(index <= parent.length)) {
      throw new Error(`cannot write ${path}: bad list index "${last}"`);
    }
    if (insert || index === parent.length) parent.splice(index, 0, value);
    else parent[index] = value;
  } else {
    parent[last] = value;
  }
  target[top] = doc;
}

/** A stored rule as the API shows it: the values it sets for driver_info secrets (a BMC password) are ******. */
export function maskRuleSecrets(body: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(body.actions)) return body;
  const actions = body.actions.map((action: Record<string, unknown>) => {
    if (action?.action !== 'set-attribute' || typeof action.path !== 'string' || !action.path.startsWith('/driver_info/')) return action;
    const { tokens } = parseAttributePath(action.path, true);
    return isSecretKey(tokens[0]!) ? { ...action, value: SECRET_MASK } : action;
  });
  return { ...body, actions };
}

/** `fail`: ends the introspection with the message. */
export function fail(_ctx: HookContext, params: { message: string }): never {
  throw new RuleFailError(params.message);
}

/** `set-attribute`: sets a node attribute (a JSON-patch "add" at `path`). */
export function setAttribute(ctx: HookContext, params: { path: string; value: unknown }): void {
  writeAttribute(ctx, params.path, params.value, true);
}

/** `extend-attribute`: appends `value` to the list at `path` (created when absent); `unique` skips duplicates. */
export function extendAttribute(ctx: HookContext, params: { path: string; value: unknown; unique?: boolean }): void {
  const current = readAttribute(ctx, params.path);
  if (current !== undefined && current !== null && !Array.isArray(current)) {
    throw new Error(`cannot extend ${params.path}: it is ${describe(current)}, not a list`);
  }
  const list = current ? [...current] : [];
  if (!params.unique || !list.some((v) => deepEqual(v, params.value))) list.push(params.value);
  writeAttribute(ctx, params.path, list, false);
}

function checkTrait(name: string): void {
  if (!TRAIT_PATTERN.test(name)) throw new Error(`invalid trait name ${JSON.stringify(name)}`);
}

/** `add-trait`: the node gets the trait. */
export function addTrait(ctx: HookContext, params: { name: string }): void {
  checkTrait(params.name);
  const { patch } = ctx;
  patch.removeTraits = patch.removeTraits.filter((t) => t !== params.name);
  if (!patch.addTraits.includes(params.name)) patch.addTraits.push(params.name);
}

/** `remove-trait`: the node loses the trait (nothing to do when it does not have it). */
export function removeTrait(ctx: HookContext, params: { name: string }): void {
  checkTrait(params.name);
  const { patch } = ctx;
  patch.addTraits = patch.addTraits.filter((t) => t !== params.name);
  if (ctx.node.traits.includes(params.name) && !patch.removeTraits.includes(params.name)) {
    patch.removeTraits.push(params.name);
  }
}

/** `set-capability`: sets `name:value` in properties.capabilities, keeping the other keys; no value removes it. */
export function setCapability(ctx: HookContext, params: { name: string; value?: unknown }): void {
  const caps = parseCapabilities(nodeView(ctx).properties['capabilities']);
  if (params.value === null || params.value === undefined) caps.delete(params.name);
  else caps.set(params.name, toText(params.value));
  ctx.patch.properties['capabilities'] = serializeCapabilities(caps);
}

/**
 * Runs one action: formats its `value` (set-attribute, extend-attribute, set-capability,
 * as ironic-inspector's FORMATTED_PARAMS) with `vars` (`data`, `node`), then applies it.
 */
export function runAction(ctx: HookContext, action: Action, vars: FormatVariables): void {
  switch (action.action) {
    case 'fail':
      return fail(ctx, action);
    case 'set-attribute':
      return setAttribute(ctx, { ...action, value: formatValue(action.value, vars) });
    case 'extend-attribute':
      return extendAttribute(ctx, { ...action, value: formatValue(action.value, vars) });
    case 'add-trait':
      return addTrait(ctx, action);
    case 'remove-trait':
      return removeTrait(ctx, action);
    case 'set-capability':
      return setCapability(ctx, { ...action, value: formatValue(action.value, vars) });
  }
}

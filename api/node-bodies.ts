import type { Request } from 'express';
import { z } from 'zod';
import { InvalidInputError } from '../common/errors';
import { maskSecrets, type NodeRecord, type PortRecord } from '../nodes';
import { NodeRecordSchema, PortRecordSchema } from '../nodes/records';
import { MAX_PAGE } from '../nodes/schema';

// Node and port records as Ironic's API shows them: secrets masked, links, field selection.

export const baseUrl = (req: Request) => `${req.protocol}://${req.get('host')}`;

export interface Link {
  href: string;
  rel: string;
  type?: string;
}

/** Ironic's pair of links to a resource: versioned (self) and unversioned (bookmark). */
export function links(req: Request, resource: string): Link[] {
  return [
    { href: `${baseUrl(req)}/v1/${resource}`, rel: 'self' },
    { href: `${baseUrl(req)}/${resource}`, rel: 'bookmark' },
  ];
}

export function nodeBody(req: Request, node: NodeRecord) {
  return {
    ...maskSecrets(node),
    instance_uuid: null,
    links: links(req, `nodes/${node.uuid}`),
    ports: links(req, `nodes/${node.uuid}/ports`),
    states: links(req, `nodes/${node.uuid}/states`),
  };
}

export function portBody(req: Request, port: PortRecord) {
  return { ...port, links: links(req, `ports/${port.uuid}`) };
}

/** GET /v1/nodes/<node>/states: Ironic's state summary (no console or RAID here). */
export function statesBody(node: NodeRecord) {
  return {
    console_enabled: false,
    last_error: node.last_error,
    power_state: node.power_state,
    provision_state: node.provision_state,
    provision_updated_at: node.provision_updated_at,
    raid_config: {},
    target_power_state: node.target_power_state,
    target_provision_state: node.target_provision_state,
    target_raid_config: {},
  };
}

/** What `fields` may name, and what a list shows without `detail` or `fields` (Ironic's short form). */
const SHAPES = {
  node: {
    fields: [...Object.keys(NodeRecordSchema.shape), 'instance_uuid', 'ports', 'states'],
    short: ['uuid', 'name', 'instance_uuid', 'power_state', 'provision_state', 'maintenance'],
  },
  port: { fields: Object.keys(PortRecordSchema.shape), short: ['uuid', 'address'] },
};
export type Kind = keyof typeof SHAPES;

/** Query parameters that choose the fields shown: `fields=a,b` or `detail=true`. */
export const FieldSelectionSchema = {
  fields: z
    .string()
    .transform((s) => s.split(',').map((f) => f.trim()).filter(Boolean))
    .optional(),
  detail: z.stringbool().optional(),
};

export interface FieldSelection {
  fields?: string[];
  detail?: boolean;
}

/**
 * The fields a body shows: those named in `fields` (a 400 names any unknown one), all with
 * `detail` (or on a single resource), else the list's short form. Links always stay.
 */
export function fieldsToShow(kind: Kind, selection: FieldSelection, list: boolean): string[] | undefined {
  if (selection.fields && selection.detail) throw new InvalidInputError('fields, detail: ask for one or the other');
  if (selection.fields) {
    const unknown = selection.fields.filter((f) => !SHAPES[kind].fields.includes(f));
    if (unknown.length) {
      const named = unknown.map((f) => `"${f}"`).join(', ');
      throw new InvalidInputError(`fields: ${named} ${unknown.length > 1 ? `are not ${kind} fields` : `is not a ${kind} field`}`);
    }
    return selection.fields;
  }
  return list && !selection.detail ? SHAPES[kind].short : undefined;
}

export function pickFields<T extends Record<string, unknown>>(body: T, fields: string[] | undefined): Partial<T> {
  if (!fields) return body;
  return Object.fromEntries(Object.entries(body).filter(([k]) => k === 'links' || fields.includes(k))) as Partial<T>;
}

/** Ironic's `next` link when a page came back full: the same query, continued after the last item. */
export function nextLink(req: Request, items: { uuid: string }[], limit: number): string | undefined {
  if (items.length === 0 || items.length < limit) return undefined;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(req.query)) if (key !== 'marker' && typeof value === 'string') query.set(key, value);
  query.set('limit', String(limit));
  query.set('marker', items[items.length - 1].uuid);
  return `${baseUrl(req)}${req.baseUrl}${req.path}?${query}`;
}

/** The page size for a list: as asked, at most MAX_PAGE. */
export const pageLimit = (limit?: number) => Math.min(limit ?? MAX_PAGE, MAX_PAGE);

/** A list answer (`{nodes}` or `{ports}`): the page in the fields asked for (all under .../detail), and `next` when full. */
export function listAnswer<T extends { uuid: string }>(
  req: Request,
  kind: Kind,
  selection: FieldSelection,
  items: T[],
  limit: number,
  toBody: (req: Request, item: T) => Record<string, unknown>,
) {
  const shown = fieldsToShow(kind, { ...selection, detail: selection.detail || req.path.endsWith('/detail') }, true);
  return { [`${kind}s`]: items.map((item) => pickFields(toBody(req, item), shown)), next: nextLink(req, items, limit) };
}

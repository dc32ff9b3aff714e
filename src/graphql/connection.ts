/**
 * Relay-style lists done in the gateway over the upstream's full list:
 * filter by status, a total order (newest first by default), and cursors
 * that encode an item's sort key rather than its index, so a page stays
 * correct when backups are created or deleted between requests.
 */
import { errors } from '../errors.js'
import type { BackupNode, JobStatus } from './model.js'

/** The schema's BackupOrder input. */
export interface BackupOrder {
  field: 'CREATED_AT' | 'NAME'
  direction: 'ASC' | 'DESC'
}

/** The arguments of a backups list field. */
export interface BackupListArgs {
  status?: JobStatus[] | null
  orderBy?: BackupOrder | null
  first?: number | null
  after?: string | null
  last?: number | null
  before?: string | null
}

/** The schema's BackupConnection. */
export interface Connection<T> {
  edges: Array<{ node: T, cursor: string }>
  nodes: T[]
  pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }
  totalCount: number
}

const DEFAULT_ORDER: BackupOrder = { field: 'CREATED_AT', direction: 'DESC' }

type Key = Array<string | number>

/** The sort key of a backup: the ordered field, then service id and name, so the order is total. */
function sortKey (b: BackupNode, field: BackupOrder['field']): Key {
  if (field === 'NAME') return [b.name, b.serviceId]
  // A missing timestamp sorts as the epoch: oldest.
  const seconds = b.createdAt === null ? 0 : Number(b.createdAt.seconds)
  const nanos = b.createdAt === null ? 0 : b.createdAt.nanos
  return [seconds, nanos, b.serviceId, b.name]
}

function compareKeys (a: Key, b: Key): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i]
    const y = b[i]
    if (x === y) continue
    if (x === undefined) return -1
    if (y === undefined) return 1
    // Code-unit order for strings: deterministic and locale-free.
    return x < y ? -1 : 1
  }
  return 0
}

function orderTag (order: BackupOrder): string {
  return `${order.field}:${order.direction}`
}

function encodeCursor (order: BackupOrder, key: Key): string {
  return Buffer.from(JSON.stringify([orderTag(order), key])).toString('base64url')
}

function decodeCursor (cursor: string, order: BackupOrder, field: string, shape: Key): Key {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    parsed = undefined
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || !Array.isArray(parsed[1])) {
    throw new errors.InvalidArgument(`${field} is not a cursor this API returned`, field)
  }
  if (parsed[0] !== orderTag(order)) {
    throw new errors.InvalidArgument(`${field} is a cursor of another orderBy (${parsed[0]}); use cursors with the orderBy they came from`, field)
  }
  const key = parsed[1] as unknown[]
  if (key.length !== shape.length || key.some((k, i) => typeof k !== typeof shape[i])) {
    throw new errors.InvalidArgument(`${field} is not a cursor this API returned`, field)
  }
  return key as Key
}

function count (value: number | null | undefined, field: string): number | undefined {
  if (value === null || value === undefined) return undefined
  if (value < 0) throw new errors.InvalidArgument(`${field} must not be negative`, field)
  return value
}

/** A list's paging arguments, judged. */
export interface Paging { order: BackupOrder, first?: number, last?: number, after?: Key, before?: Key }

/**
 * Judge a list's paging arguments, before the list is fetched (input the
 * gateway can judge costs no upstream call, and is not masked by a failing
 * one). Throws BAD_USER_INPUT for a negative count or a cursor that is
 * malformed or from another ordering. A cursor's shape is the sort key's,
 * which does not depend on the list.
 */
export function pagingOf (args: BackupListArgs): Paging {
  const order = args.orderBy ?? DEFAULT_ORDER
  const shape = sortKey({ name: '', serviceId: '', createdAt: null } as unknown as BackupNode, order.field)
  const first = count(args.first, 'first')
  const last = count(args.last, 'last')
  const after = args.after === null || args.after === undefined ? undefined : decodeCursor(args.after, order, 'after', shape)
  const before = args.before === null || args.before === undefined ? undefined : decodeCursor(args.before, order, 'before', shape)
  return { order, ...(first === undefined ? {} : { first }), ...(last === undefined ? {} : { last }), ...(after === undefined ? {} : { after }), ...(before === undefined ? {} : { before }) }
}

type Item = { node: BackupNode, key: Key }

/** Lists filtered and sorted already, by list and then by order and filter: the loaders hand a request's fields the same list. */
const sorted = new WeakMap<readonly BackupNode[], Map<string, readonly Item[]>>()

/** `all` filtered to `status` and sorted by `order`, once per list, order and filter; never to be changed. */
function sortedItems (all: readonly BackupNode[], order: BackupOrder, status: readonly JobStatus[] | null | undefined): readonly Item[] {
  const tag = `${order.field} ${order.direction} ${status === null || status === undefined ? '*' : [...new Set(status)].sort().join(',')}`
  let byTag = sorted.get(all)
  if (byTag === undefined) {
    byTag = new Map()
    sorted.set(all, byTag)
  }
  let items = byTag.get(tag)
  if (items === undefined) {
    const wanted = status === null || status === undefined ? undefined : new Set(status)
    const sign = order.direction === 'DESC' ? -1 : 1
    items = all
      .filter((b) => wanted === undefined || wanted.has(b.status))
      .map((node) => ({ node, key: sortKey(node, order.field) }))
      .sort((a, b) => sign * compareKeys(a.key, b.key))
    byTag.set(tag, items)
  }
  return items
}

/** Filter, sort and page a full list of backups, by paging arguments already judged (`pagingOf`). */
export function backupConnection (all: readonly BackupNode[], args: BackupListArgs, paging: Paging = pagingOf(args)): Connection<BackupNode> {
  const { order, first, last, after, before } = paging
  const sign = order.direction === 'DESC' ? -1 : 1
  const items = sortedItems(all, order, args.status)

  // Positions in the sorted list: [start, end) after the cursors.
  let start = 0
  let end = items.length
  if (after !== undefined) {
    while (start < end && sign * compareKeys((items[start] as { key: Key }).key, after) <= 0) start++
  }
  if (before !== undefined) {
    while (end > start && sign * compareKeys((items[end - 1] as { key: Key }).key, before) >= 0) end--
  }
  if (first !== undefined) end = Math.min(end, start + first)
  if (last !== undefined) start = Math.max(start, end - last)

  const page = items.slice(start, end)
  const edges = page.map(({ node, key }) => new Edge(node, order, key))
  return {
    edges,
    nodes: page.map((p) => p.node),
    // Exact both ways: the whole list is at hand.
    pageInfo: new PageInfo(edges, end < items.length, start > 0),
    totalCount: items.length
  }
}

/**
 * Page info whose cursors are encoded only if the query selects them. A
 * class, not getters in an object literal, which would give every page a
 * hidden class of its own (withDisconnectSignal in src/rest/routes.ts says
 * why that matters).
 */
class PageInfo<T> {
  readonly #edges: ReadonlyArray<Edge<T>>
  constructor (edges: ReadonlyArray<Edge<T>>, readonly hasNextPage: boolean, readonly hasPreviousPage: boolean) {
    this.#edges = edges
  }

  get startCursor (): string | null {
    return this.#edges[0]?.cursor ?? null
  }

  get endCursor (): string | null {
    return this.#edges[this.#edges.length - 1]?.cursor ?? null
  }
}

/** An edge whose cursor is encoded only if the query selects it: most list queries ask for nodes alone. */
class Edge<T> {
  readonly node: T
  readonly #order: BackupOrder
  readonly #key: Key

  constructor (node: T, order: BackupOrder, key: Key) {
    this.node = node
    this.#order = order
    this.#key = key
  }

  get cursor (): string {
    return encodeCursor(this.#order, this.#key)
  }
}

// The event stream of /events: docker's event records, a ring of recent ones for `since`, and
// docker's filters (type, event/action, image, container, network, label).
import type { ImageEvent } from '../../image/index.js';
import type { ContainerEvent } from '../../engine/index.js';

export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

export function fromImageEvent(e: ImageEvent): DockerEvent {
  return {
    status: e.action,
    id: e.id,
    Type: 'image',
    Action: e.action,
    Actor: { ID: e.id, Attributes: e.attributes },
    scope: 'local',
    time: Number(e.timeNano / 1_000_000_000n),
    timeNano: Number(e.timeNano),
  };
}

export function fromContainerEvent(e: ContainerEvent): DockerEvent {
  return {
    status: e.action,
    id: e.id,
    ...(e.type === 'network' ? {} : { from: e.attributes.image ?? '' }),
    Type: e.type ?? 'container',
    Action: e.action,
    Actor: { ID: e.id, Attributes: e.attributes },
    scope: 'local',
    time: Number(e.timeNano / 1_000_000_000n),
    timeNano: Number(e.timeNano),
  };
}

export class EventHub {
  private readonly recent: DockerEvent[] = [];
  private readonly listeners = new Set<(e: DockerEvent) => void>();

  constructor(private readonly keep = 256) {}

  publish(e: DockerEvent): void {
    this.recent.push(e);
    if (this.recent.length > this.keep) this.recent.shift();
    for (const l of this.listeners) l(e);
  }

  /** Events already seen with timeNano ≥ sinceNano. */
  since(sinceNano: number): DockerEvent[] {
    return this.recent.filter((e) => e.timeNano >= sinceNano);
  }

  subscribe(l: (e: DockerEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

export function eventMatches(e: DockerEvent, filters: Record<string, string[]>): boolean {
  const any = (key: string, values: string[]): boolean => {
    const f = filters[key];
    return f === undefined || f.length === 0 || f.some((x) => values.includes(x));
  };
  if (!any('type', [e.Type])) return false;
  if (!any('event', [e.Action, e.Action.split(':')[0]!])) return false;
  if (e.Type === 'image' && !any('image', [e.Actor.ID, e.Actor.Attributes.name ?? ''])) return false;
  if (e.Type !== 'image' && filters.image !== undefined && !any('image', [e.Actor.Attributes.image ?? ''])) return false;
  if (filters.container !== undefined) {
    const ids = e.Type === 'container' ? [e.Actor.ID, e.Actor.Attributes.name ?? ''] : e.Type === 'network' ? [e.Actor.Attributes.container ?? ''] : undefined;
    if (ids === undefined || !any('container', ids)) return false;
  }
  if (filters.network !== undefined && (e.Type !== 'network' || !any('network', [e.Actor.ID, e.Actor.Attributes.name ?? '']))) return false;
  if (filters.label !== undefined) {
    const ok = filters.label.every((l) => {
      const eq = l.indexOf('=');
      return eq < 0 ? l in e.Actor.Attributes : e.Actor.Attributes[l.slice(0, eq)] === l.slice(eq + 1);
    });
    if (!ok) return false;
  }
  return true;
}

import type { Embedder } from '../embed/embedder.ts';
import type { CorpusVersion } from '../search/corpus-version.ts';
import type { SearchSpace } from '../search/search-service.ts';
import type { EmbeddingMigrationStore } from '../store/embedding-migrations.ts';
import { listSpaces, type EmbeddingSpace } from '../store/embedding-spaces.ts';
import { UnknownSpaceError } from './errors.ts';

/** A space with the embedder that fills it (same cache, rate budget and cost accounting as any other). */
export interface SpaceHandle extends SearchSpace {
  readonly embedder: Embedder;
}

export interface ActiveSpaces {
  /** Where search reads and what ingest counts on. */
  readonly live: SpaceHandle;
  /** The configured fallback model's space, only while the configured model's space is live. */
  readonly fallback: SearchSpace | undefined;
  /** Written along with the live space: a migration's target, or the previous space kept for rollback. */
  readonly shadow: SpaceHandle | undefined;
}

export interface LiveSpacesOptions {
  readonly store: EmbeddingMigrationStore;
  readonly corpus: CorpusVersion;
  /** The space of EMBEDDING_MODEL, live until a migration switches away from it. */
  readonly configured: SpaceHandle;
  readonly fallback: SearchSpace | undefined;
  /** A handle for any other space (its provider is made from the space's identity). */
  readonly open: (space: EmbeddingSpace) => SpaceHandle;
}

/**
 * Which embedding spaces are in use, as persisted in PostgreSQL (embedding_settings). Every
 * change to it bumps the corpus version, so the row is read again only when that moved: one
 * Redis GET per call otherwise.
 */
export class LiveSpaces {
  readonly #options: LiveSpacesOptions;
  readonly #handles = new Map<number, SpaceHandle>();
  #cached: { version: string; value: ActiveSpaces } | undefined;

  constructor(options: LiveSpacesOptions) {
    this.#options = options;
    this.#handles.set(options.configured.space.id, options.configured);
  }

  /** `version`: the corpus version the caller already read, saving a round trip. */
  async current(version?: string): Promise<ActiveSpaces> {
    const now = version ?? (await this.#options.corpus.current());
    if (this.#cached?.version === now) return this.#cached.value;
    const settings = await this.#options.store.settings();
    const { configured, fallback } = this.#options;
    const live = settings === undefined ? configured : await this.handle(settings.liveSpaceId);
    const shadow = settings?.shadowSpaceId === null || settings === undefined ? undefined : await this.handle(settings.shadowSpaceId);
    const value: ActiveSpaces = { live, shadow, fallback: live === configured ? fallback : undefined };
    this.#cached = { version: now, value };
    return value;
  }

  /** The live space and the shadow one: where every new vector goes. */
  async targets(): Promise<SpaceHandle[]> {
    const { live, shadow } = await this.current();
    return shadow === undefined ? [live] : [live, shadow];
  }

  async handle(spaceId: number): Promise<SpaceHandle> {
    const known = this.#handles.get(spaceId);
    if (known !== undefined) return known;
    const space = (await listSpaces(this.#options.store.db)).find((candidate) => candidate.id === spaceId);
    if (space === undefined) throw new UnknownSpaceError(spaceId);
    const opened = this.#options.open(space);
    this.#handles.set(spaceId, opened);
    return opened;
  }

  /** Closes the providers this opened (the configured ones belong to the caller). */
  async close(): Promise<void> {
    const opened = [...this.#handles.values()].filter((handle) => handle !== this.#options.configured);
    await Promise.all(opened.map((handle) => handle.provider.close?.()));
  }
}

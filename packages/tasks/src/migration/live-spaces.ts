import { UnknownSpaceError } from '@lanes/contracts';
import type { Embedder } from '../embed/embedder.ts';
import type { CorpusVersion } from '../search/corpus-version.ts';
import type { SearchSpace } from '../search/search-service.ts';
import type { Database } from '../store/database.ts';
import type { EmbeddingMigrationStore } from '../store/embedding-migrations.ts';
import { listSpaces, type EmbeddingSpace } from '../store/embedding-spaces.ts';

/** A space with the model and embedder that fill it (same cache, rate budget and cost accounting as any other). */
export interface SpaceHandle extends SearchSpace {
  readonly embedder: Embedder;
  /** Set when the model was opened for this space alone (not one of the configured models). */
  readonly close?: () => Promise<void>;
}

/** The spaces in use at one corpus version. */
export interface SpacesInUse {
  /** Where search reads and what ingest counts on. */
  readonly live: EmbeddingSpace;
  /** The configured fallback model's space, only while the configured model's space is live. */
  readonly fallback: EmbeddingSpace | undefined;
  /** Written along with the live space: a migration's target, or the previous space kept for rollback. */
  readonly shadow: EmbeddingSpace | undefined;
}

/** The live space and the shadow one: where every new vector goes. */
export function targetsOf(inUse: SpacesInUse): EmbeddingSpace[] {
  return inUse.shadow === undefined ? [inUse.live] : [inUse.live, inUse.shadow];
}

/** The configured models' spaces; `primary` undefined while no worker has created its vector table (a reader's view). */
export interface ConfiguredSpaces {
  readonly primary: EmbeddingSpace | undefined;
  readonly fallback: EmbeddingSpace | undefined;
}

export interface LiveSpacesOptions {
  readonly db: Database;
  readonly store: Pick<EmbeddingMigrationStore, 'settings'>;
  readonly corpus: Pick<CorpusVersion, 'current'>;
  readonly configured: () => Promise<ConfiguredSpaces>;
  /** The model of a space, built on first need (the configured ones, or any other's from its identity). */
  readonly open: (space: EmbeddingSpace) => Promise<SpaceHandle>;
}

/**
 * Which embedding spaces are in use, as persisted in PostgreSQL (embedding_settings). Every
 * change to it bumps the corpus version, so the row is read again only when that moved: one
 * Redis GET per call otherwise. Models are opened only when a space is embedded into or searched.
 */
export class LiveSpaces {
  readonly #options: LiveSpacesOptions;
  readonly #handles = new Map<number, Promise<SpaceHandle>>();
  #cached: { version: string; value: SpacesInUse | undefined } | undefined;

  constructor(options: LiveSpacesOptions) {
    this.#options = options;
  }

  /** Undefined only while nothing names a space yet (no migration, no table for the configured model). `version`: the corpus version the caller read. */
  async current(version?: string): Promise<SpacesInUse | undefined> {
    const now = version ?? (await this.#options.corpus.current());
    if (this.#cached?.version === now) return this.#cached.value;
    const value = await this.read();
    this.#cached = { version: now, value };
    return value;
  }

  /**
   * As persisted right now, past the cache: what migration control reports and decides on. (A
   * switch commits before it bumps the corpus version, so in between the cache is behind.)
   */
  async read(): Promise<SpacesInUse | undefined> {
    const [settings, configured] = await Promise.all([this.#options.store.settings(), this.#options.configured()]);
    if (settings === undefined)
      return configured.primary === undefined
        ? undefined
        : { live: configured.primary, fallback: configured.fallback, shadow: undefined };
    const live = await this.space(settings.liveSpaceId);
    const shadow = settings.shadowSpaceId === null ? undefined : await this.space(settings.shadowSpaceId);
    return { live, shadow, fallback: live.id === configured.primary?.id ? configured.fallback : undefined };
  }

  /** The live space and the shadow one: where every new vector goes. */

  async space(spaceId: number): Promise<EmbeddingSpace> {
    const space = (await listSpaces(this.#options.db)).find((candidate) => candidate.id === spaceId);
    if (space === undefined) throw new UnknownSpaceError(spaceId);
    return space;
  }

  /** The space's model and embedder, opened once per process. */
  handle(space: EmbeddingSpace): Promise<SpaceHandle> {
    let opened = this.#handles.get(space.id);
    if (opened === undefined) {
      opened = this.#options.open(space);
      this.#handles.set(space.id, opened);
      opened.catch(() => this.#handles.delete(space.id));
    }
    return opened;
  }

  /** Closes the models this opened (the configured ones belong to the caller's embedding). */
  async close(): Promise<void> {
    const opened = await Promise.all([...this.#handles.values()].map((handle) => handle.catch(() => undefined)));
    await Promise.all(opened.map((handle) => handle?.close?.()));
  }
}

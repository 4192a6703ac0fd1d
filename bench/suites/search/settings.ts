/** The index and search settings the app uses, read from its config; pgvector-ish defaults if unavailable. */
export interface SearchSettings {
  readonly m: number;
  readonly efConstruction: number;
  readonly efSearch: number;
  /** What rebuild-index sets for its builds. */
  readonly maintenanceWorkMem: string;
  readonly source: string;
}

export async function appSearchSettings(): Promise<SearchSettings> {
  try {
    const { loadRagConfig } = await import('@lanes/tasks');
    const config = loadRagConfig(process.env);
    return {
      m: config.index.m,
      efConstruction: config.index.efConstruction,
      efSearch: config.search.efSearch,
      maintenanceWorkMem: '256MB',
      source: 'the app config (@lanes/tasks loadRagConfig)',
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      m: 16,
      efConstruction: 64,
      efSearch: 100,
      maintenanceWorkMem: '256MB',
      source: `built-in defaults (app config unavailable: ${reason})`,
    };
  }
}

/**
 * What a training dataset's query reads from the offline store, as a hook of the query builder:
 * building a dataset records every listing of a view's files, and rebuilding one answers the same
 * listings with the files recorded then (live, or retained after a recompute replaced them).
 */
import { type ViewFiles, viewFiles } from '../view-files.ts';

/** Lists the files of a view's partitions in `[from, to]` (view-files.ts). */
export type ViewFilesReader = (store: string, view: string, from?: string, to?: string) => Promise<ViewFiles>;

/** Hooks of a training dataset's query for its lineage. */
export interface HistoricalLineage {
  viewFiles: ViewFilesReader;
  /** Where to keep a copy of the entity rows (Parquet), for input that is not a file. */
  entityCopy?: string;
  /**
   * Told the temporary file the dataset is about to be written to, once the query is prepared and
   * its rows start to flow (growing-file-hash.ts).
   */
  writing?: (temp: string) => void;
}

/** One listing the query made. */
export interface RecordedRead {
  view: string;
  from: string | null;
  to: string | null;
  result: ViewFiles;
}

/** A reader that lists as usual and remembers every listing. */
export function recordingReader(): { viewFiles: ViewFilesReader; reads: RecordedRead[] } {
  const reads: RecordedRead[] = [];
  return {
    reads,
    viewFiles: async (store, view, from, to) => {
      const result = await viewFiles(store, view, from, to);
      reads.push({ view, from: from ?? null, to: to ?? null, result });
      return result;
    },
  };
}

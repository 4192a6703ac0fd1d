/**
 * Random but clustered unit vectors, deterministic from a seed: points scattered around a few
 * hundred centres, as embeddings of related texts are. Uniform random vectors would make every
 * neighbour nearly equidistant, which flatters no index and resembles no corpus.
 */
import { prng } from '../../lib/prng.ts';

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function normalise(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

export interface ClusteredSpace {
  readonly dimensions: number;
  /** The next point: a random centre plus gaussian noise, normalised. */
  next(): Float32Array;
}

/**
 * `spread` is the per-dimension noise relative to a unit centre: 0.05 at 384 dimensions puts a
 * point at cosine ~0.7 from its centre, neighbourhoods overlapping like real embeddings.
 */
export function clusteredSpace(options: {
  dimensions: number;
  clusters: number;
  spread: number;
  seed: number;
}): ClusteredSpace {
  const random = prng(options.seed);
  const centres = Array.from({ length: options.clusters }, () =>
    normalise(Float32Array.from({ length: options.dimensions }, () => gaussian(random))),
  );
  return {
    dimensions: options.dimensions,
    next() {
      const centre = centres[Math.floor(random() * centres.length)]!;
      const v = new Float32Array(options.dimensions);
      for (let i = 0; i < v.length; i++) v[i] = centre[i]! + options.spread * gaussian(random);
      return normalise(v);
    },
  };
}

/** pgvector's text form, 6 decimals (float4 keeps ~7 significant digits anyway). */
export function vectorLiteral(v: Float32Array): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + v[i]!.toFixed(6);
  return `${out}]`;
}

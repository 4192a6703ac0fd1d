import { prng } from './prng.ts';

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'ta',
  'shi',
  'po',
  've',
  'dan',
  'tor',
  'quel',
  'bri',
  'os',
  'um',
  'fen',
  'gra',
  'zi',
  'hal',
  'yor',
];

/** Deterministic prose-like text of distinct words: every document different, no cache hits by accident. */
export function syntheticDocument(seed: number, words: number): string {
  const random = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    let word = '';
    const length = 1 + Math.floor(random() * 3);
    for (let s = 0; s < length; s++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)]!;
    out.push(word);
    if (random() < 0.08) out[out.length - 1] += '.';
  }
  return out.join(' ');
}

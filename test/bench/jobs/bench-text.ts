// The text both the benchmark's loop and its job work on: lines of 5 words from a 1,000-word
// vocabulary, a pure function of the line's index.
const VOCABULARY = Array.from({ length: 1000 }, (_, i) => `word${i}`);
const LINES = Array.from({ length: 4096 }, (_, i) => {
  const words: string[] = [];
  for (let j = 0; j < 5; j++) words.push(VOCABULARY[(i * 7919 + j * 104729) % VOCABULARY.length] as string);
  return words.join(' ');
});

export function benchLine(index: number): string {
  return LINES[index % LINES.length] as string;
}

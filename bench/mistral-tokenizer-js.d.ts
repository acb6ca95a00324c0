// mistral-tokenizer-js ships no types; this covers the part bench/estimator.ts uses.
declare module 'mistral-tokenizer-js' {
  interface MistralTokenizer {
    /** Token ids of `prompt`; by default with the BOS token and SentencePiece's leading space. */
    encode(
      prompt: string,
      addBosToken?: boolean,
      addPrecedingSpace?: boolean,
      logPerformance?: boolean,
    ): number[];
    decode(tokenIds: number[], addBosToken?: boolean, addPrecedingSpace?: boolean): string;
  }
  const mistralTokenizer: MistralTokenizer;
  export default mistralTokenizer;
}

/**
 * What a model accepts, judged by its name. Reasoning models (the o-series and gpt-5, except the
 * gpt-5 chat variants) return no token log-probabilities and accept only the default temperature.
 */
export function isReasoningModel(model: string): boolean {
  const name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  return /^o\d/.test(name) || (/^gpt-5/.test(name) && !/chat/.test(name));
}

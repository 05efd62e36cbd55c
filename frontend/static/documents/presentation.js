// The synchronized presentation's part of the live state (docs/protocol.md, "present.changed"):
// the mirror of meetings/documents/presentation.py's reducer, registered in live/state.js.

import { FEATURE_REDUCERS } from "../live/state.js";

export const EMPTY = { document_id: null, version: null, page: null, presenter_participant_id: null };

export function reduce(state, kind, data) {
  if (kind !== "present.changed") return { ...state };
  const presentation = {};
  for (const key of Object.keys(EMPTY)) presentation[key] = data[key] ?? null;
  return { ...state, presentation };
}

FEATURE_REDUCERS.present = reduce;

export function presentationOf(state) {
  return (state && state.presentation) || EMPTY;
}

export function isPresenting(state) {
  return presentationOf(state).document_id != null;
}

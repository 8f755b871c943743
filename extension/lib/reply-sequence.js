// One request answered by several replies in turn under its id, each possibly in parts
// (protocol 3: `extract` with `preview` gets its `extracted` parts, then one `previewed`).
import { PART_LISTS, PartsAssembler } from "./parts.js";

export class ReplySequence {
  /** kinds: the reply types expected, in order, e.g. ["extracted", "previewed"]. */
  constructor(kinds) {
    this.kinds = [...kinds];
    this.next = 0; // index of the reply being assembled
    this.assembler = null;
    this.settlers = [];
    this.promises = this.kinds.map(() => new Promise((resolve, reject) => this.settlers.push({ resolve, reject })));
    // The caller may stop listening after the first reply (its session changed): a later
    // failure must not surface as an unhandled rejection. Awaiting still sees it.
    for (const p of this.promises) p.catch(() => {});
  }

  get done() {
    return this.next >= this.kinds.length;
  }

  /** Take one frame with the request's id; true once the last expected reply is complete. */
  take(msg) {
    if (this.done || msg?.type !== this.kinds[this.next]) return this.done;
    let whole = msg;
    if (PART_LISTS[msg.type]) {
      this.assembler ??= new PartsAssembler(msg.type);
      whole = this.assembler.add(msg);
      if (!whole) return false;
    }
    this.settlers[this.next].resolve(whole);
    this.next += 1;
    this.assembler = null;
    return this.done;
  }

  /** Reject every reply not complete yet (error reply, disconnect, timeout). */
  fail(err) {
    for (let i = this.next; i < this.kinds.length; i += 1) this.settlers[i].reject(err);
    this.next = this.kinds.length;
  }
}

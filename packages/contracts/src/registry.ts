import { UnknownTaskError } from './errors.ts';
import type { AnyTaskContract } from './task-contract.ts';

/** Looks contracts up by name, for surfaces (CLI, HTTP) that receive task names as strings. */
export class ContractRegistry {
  readonly #byName = new Map<string, AnyTaskContract>();

  constructor(contracts: Iterable<AnyTaskContract> = []) {
    for (const contract of contracts) this.add(contract);
  }

  add(contract: AnyTaskContract): this {
    const existing = this.#byName.get(contract.name);
    if (existing !== undefined && existing !== contract)
      throw new TypeError(`task "${contract.name}" is registered twice`);
    this.#byName.set(contract.name, contract);
    return this;
  }

  get(name: string): AnyTaskContract {
    const contract = this.#byName.get(name);
    if (contract === undefined) throw new UnknownTaskError(name, this.names());
    return contract;
  }

  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  all(): AnyTaskContract[] {
    return [...this.#byName.values()];
  }
}

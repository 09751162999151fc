"""Which FUNCTION rules a function is given: those whose preconditions (`@rule(..., when=...)`) it meets.

Each distinct precondition gets one bit. A file's tests are evaluated once per
file, a name's once per distinct name (cached across files), and the facts'
once per function, only those some rule still wants once the file and name
have answered; the rules whose required bits are all set are looked up by
the resulting mask, so most (rule, function) pairs never cost a call (about two in three in the corpus).
"""

from __future__ import annotations

from analyzer.registry import OF_FACTS, OF_FILE, OF_NAME, Precondition, Rule

# Distinct function names remembered per table; past it the cache starts again (a long-running bot's tables).
_MAX_NAMES = 100_000


class FunctionRules:
    """The FUNCTION rules of one selection of rules, in catalog order, with their preconditions as bit masks."""

    def __init__(self, rules: list[Rule]):
        self.rules = rules
        bits: dict[Precondition, int] = {}  # by identity: Precondition compares by identity
        self.required: list[int] = []
        for rule in rules:
            need = 0
            for precondition in rule.when:
                need |= bits.setdefault(precondition, 1 << len(bits))
            self.required.append(need)
        self.file_tests = [(bit, pre.test) for pre, bit in bits.items() if pre.of == OF_FILE]
        self.name_tests = [(bit, pre.test) for pre, bit in bits.items() if pre.of == OF_NAME]
        self.facts_tests = [(bit, pre.test) for pre, bit in bits.items() if pre.of == OF_FACTS]
        self._facts_bits = sum(bit for bit, _ in self.facts_tests)
        self._name_masks: dict[str, int] = {}
        self._facts_tests_by_mask: dict[int, list] = {}
        self._rules_by_mask: dict[int, list[Rule]] = {}

    def file_mask(self, ctx) -> int:
        """The bits of the file's preconditions that hold for `ctx`."""
        mask = 0
        for bit, test in self.file_tests:
            if test(ctx):
                mask |= bit
        return mask

    def for_function(self, fn, file_mask: int) -> list[Rule]:
        """The rules to call on `fn`'s facts, in catalog order."""
        name = fn.name
        mask = self._name_masks.get(name)
        if mask is None:
            mask = self._name_mask(name)
        mask |= file_mask
        facts_tests = self._facts_tests_by_mask.get(mask)
        if facts_tests is None:
            facts_tests = self._facts_tests_wanted(mask)
        for bit, test in facts_tests:
            if test(fn):
                mask |= bit
        rules = self._rules_by_mask.get(mask)
        if rules is None:
            rules = self._rules_by_mask[mask] = [rule for rule, need in zip(self.rules, self.required) if need & mask == need]
        return rules

    def _facts_tests_wanted(self, mask: int) -> list:
        """The facts tests of the rules whose file and name preconditions all hold in `mask`."""
        wanted = 0
        for need in self.required:
            if need & ~self._facts_bits & ~mask == 0:
                wanted |= need & self._facts_bits
        tests = self._facts_tests_by_mask[mask] = [(bit, test) for bit, test in self.facts_tests if bit & wanted]
        return tests

    def _name_mask(self, name: str) -> int:
        mask = 0
        for bit, test in self.name_tests:
            if test(name):
                mask |= bit
        if len(self._name_masks) >= _MAX_NAMES:
            self._name_masks.clear()
        self._name_masks[name] = mask
        return mask

using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;
using Lucene.Net.Util.Automaton;

namespace GlobalCommerce.Consumers.Catalog.Search.Lucene;

// A FuzzyQuery that shares its Levenshtein automata with the other fields' queries for the same word. The automata depend
// on the word, the edit distance and the prefix, not on the field, yet each FuzzyQuery compiles its own when rewritten:
// for a word looked up in name, brand and category that was the same work three times, and compiling the automata was
// most of an uncached search (perf: 36 % of the API's samples, in FuzzyTermsEnum's constructor).
public sealed class WordFuzzyQuery(Term term, int maxEdits, WordAutomata shared)
    : FuzzyQuery(term, maxEdits, prefixLength: 1, maxExpansions: 50, transpositions: true)
{
    protected override TermsEnum GetTermsEnum(Terms terms, AttributeSource atts)
    {
        var compiled = atts.AddAttribute<FuzzyTermsEnum.ILevenshteinAutomataAttribute>().Automata;
        if (compiled.Count == 0)
        {
            foreach (var automaton in shared.Automata)
                compiled.Add(automaton);
        }

        var enumerator = base.GetTermsEnum(terms, atts);
        // The first field's enumerator compiled them (one per distance, 0 to maxEdits); the next fields take them from here.
        if (shared.Automata.Count < compiled.Count)
            shared.Automata = [.. compiled];
        return enumerator;
    }
}

// The compiled automata of one word of one query (immutable once compiled; a query is rewritten on one thread).
public sealed class WordAutomata
{
    public IReadOnlyList<CompiledAutomaton> Automata { get; set; } = [];
}

// YamlTree::parseBlock: a scanner for the block YAML that kubectl and editors print, without libyaml.
//
// Why: libyaml spends most of a cluster-sized POST /config (4,208 objects, 4.7 MiB) decoding,
// tokenizing and allocating an event per scalar; this reads the same text line by line into the tree
// several times faster. It accepts only a narrow, unambiguous subset and returns null for anything
// else, which parseFast then reads with libyaml (or yaml-cpp) as before:
//   - ASCII only; no tabs, CRs or other control characters; no directives, `...`, anchors, aliases,
//     tags, complex keys (`? `), folded scalars (`>`), flow collections other than an empty `{}` or
//     `[]`, quoted keys, multi-line plain or quoted scalars, literal scalars other than `|` and `|-`
//     with their indentation found from the first line, or empty documents;
//   - block mappings (plain keys), block sequences (also indentless, and `- key: value` items),
//     plain, single- and double-quoted scalars on one line, literal scalars and comments.
// The tree it builds is the one yaml-cpp builds from the same text, marks included (a test compares
// them on the samples, the cluster-sized input and mutations of them).

#include "config/yaml_tree.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

namespace aigw::config {
namespace {

/// yaml-cpp reads these plain scalars as Null (as yaml_tree.cpp's isNullString).
bool nullPlain(std::string_view s) { return s == "~" || s == "null" || s == "Null" || s == "NULL"; }

/// Thrown (and caught in parseBlock) when the text leaves the subset.
struct Unsupported {};

}  // namespace

class BlockScanner {
public:
    BlockScanner(std::string_view text, YamlTree& tree) : m_text(text), m_tree(tree) {
        m_kids.reserve(YamlTree::kMaxDepth + 1);  // kids(depth) hands out references into it
    }

    void stream() {
        // Branch-free per block, so that the compiler can vectorize it: this reads every byte.
        const auto* bytes = reinterpret_cast<const unsigned char*>(m_text.data());
        for (std::size_t i = 0; i < m_text.size(); i += 64) {
            const std::size_t end = std::min(m_text.size(), i + 64);
            bool bad = false;
            for (std::size_t j = i; j < end; ++j) {
                const unsigned char u = bytes[j];
                bad |= (u >= 0x7F) | ((u < 0x20) & (u != '\n'));
            }
            if (bad)
                throw Unsupported{};
        }
        if (m_text.empty() || m_text.back() != '\n')
            throw Unsupported{};  // the last line's marks and chomping are libyaml's to work out
        bool first = true;
        while (true) {
            int col = skipToContent();
            if (col == kEnd) {
                if (first)
                    throw Unsupported{};  // no document at all
                return;
            }
            if (col == kSeparator) {
                consumeSeparator();
                col = skipToContent();
                if (col < 0)
                    throw Unsupported{};  // an empty document
            } else if (!first) {
                throw Unsupported{};
            }
            first = false;
            if (col != 0)
                throw Unsupported{};  // an indented root
            const std::uint32_t root = blockNode(col, -1, 0);
            m_tree.m_documents.push_back(root);
            if (skipToContent() >= 0)
                throw Unsupported{};  // content after the root node
        }
    }

private:
    static constexpr int kEnd = -1;        ///< the end of the text
    static constexpr int kSeparator = -2;  ///< a `---` line

    using Node = YamlTree::Node;
    using Type = YamlTree::Type;

    char at(std::size_t p) const { return p < m_text.size() ? m_text[p] : '\n'; }
    int column(std::size_t p) const { return static_cast<int>(p - m_lineStart); }
    std::size_t lineEnd(std::size_t p) const {
        const std::size_t e = m_text.find('\n', p);
        return e == std::string_view::npos ? m_text.size() : e;
    }
    void nextLine() {
        const std::size_t e = lineEnd(m_pos);
        m_pos = e + 1;
        m_lineStart = m_pos;
        ++m_line;
    }

    /// Moves to the first character of the next line with content (from m_pos on the current line,
    /// which holds nothing more than blanks and a comment); returns its column, kEnd or kSeparator.
    int skipToContent() {
        while (true) {
            while (at(m_pos) == ' ')
                ++m_pos;
            if (m_pos >= m_text.size())
                return kEnd;
            const char c = m_text[m_pos];
            if (c == '#' && (m_pos == m_lineStart || m_text[m_pos - 1] == ' ')) {
                nextLine();
                continue;
            }
            if (c == '\n') {
                nextLine();
                continue;
            }
            if (m_pos == m_lineStart && (m_text.substr(m_pos, 3) == "---" || m_text.substr(m_pos, 3) == "...")) {
                const char after = at(m_pos + 3);
                if (after == '\n' || after == ' ') {
                    if (c == '.')
                        throw Unsupported{};
                    return kSeparator;
                }
            }
            if (c == '%' && m_pos == m_lineStart)
                throw Unsupported{};
            return column(m_pos);
        }
    }

    void consumeSeparator() {
        m_pos += 3;
        while (at(m_pos) == ' ')
            ++m_pos;
        if (at(m_pos) != '\n')
            throw Unsupported{};  // `--- value` or `--- # comment`
        nextLine();
    }

    /// After a value on the current line: only blanks and a comment may follow.
    void endOfValueLine() {
        const std::size_t start = m_pos;
        while (at(m_pos) == ' ')
            ++m_pos;
        const char c = at(m_pos);
        if (c == '\n')
            return;
        if (c == '#' && m_pos > start)
            return;
        throw Unsupported{};
    }

    bool isEntry(std::size_t p) const { return at(p) == '-' && (at(p + 1) == ' ' || at(p + 1) == '\n'); }

    /// The colon ending a plain key starting at `p` on this line, or npos when the line is not `key: ...`.
    std::size_t keyColon(std::size_t p) const {
        const char c = at(p);
        if (std::string_view("\"'[]{},#&*!|>%@`").find(c) != std::string_view::npos)
            return std::string_view::npos;
        if ((c == '?' || c == ':' || c == '-') && (at(p + 1) == ' ' || at(p + 1) == '\n'))
            return std::string_view::npos;
        const std::size_t eol = lineEnd(p);
        for (std::size_t q = m_text.find(':', p); q < eol; q = m_text.find(':', q + 1)) {
            if (at(q + 1) == ' ' || at(q + 1) == '\n') {
                // ` #` before it starts a comment: no key on this line.
                const std::size_t hash = m_text.substr(0, q).find(" #", p);
                return hash == std::string_view::npos ? q : std::string_view::npos;
            }
        }
        return std::string_view::npos;
    }

    Node mark(Type type, std::size_t p) const {
        Node n;
        n.type = type;
        n.line = m_line;
        n.column = column(p);
        return n;
    }

    std::vector<std::uint32_t>& kids(int depth) {
        if (depth >= static_cast<int>(YamlTree::kMaxDepth))
            throw Unsupported{};
        if (static_cast<std::size_t>(depth) >= m_kids.size())
            m_kids.resize(static_cast<std::size_t>(depth) + 1);
        auto& k = m_kids[static_cast<std::size_t>(depth)];
        k.clear();
        return k;
    }

    /// The node whose first character is at m_pos (column `col`), in a collection indented `parent`.
    std::uint32_t blockNode(int col, int parent, int depth) {
        if (isEntry(m_pos))
            return sequence(col, false, depth);
        if (keyColon(m_pos) != std::string_view::npos)
            return mapping(col, depth);
        return inlineValue(parent);
    }

    /// A value after `key:` or `-`: on this line, or on the lines after it indented more than `col`
    /// (an indentless sequence when `indentless` and a `-` is at `col`), or empty (Null, marked at the
    /// next token as yaml-cpp marks it).
    std::uint32_t valueOf(int col, bool indentless, int depth) {
        while (at(m_pos) == ' ')
            ++m_pos;
        const char c = at(m_pos);
        if (c != '\n' && c != '#')
            return inlineValue(col);
        if (c == '#' && m_text[m_pos - 1] != ' ')
            throw Unsupported{};
        const int next = skipToContent();
        if (next > col)
            return blockNode(next, col, depth + 1);
        if (next == col && indentless && isEntry(m_pos))
            return sequence(col, true, depth + 1);
        Node n;
        n.type = Type::Null;
        if (next >= 0) {
            n.line = m_line;
            n.column = next;
        } else {
            n.line = m_line;
            n.column = column(m_pos);
        }
        return m_tree.addScalar(n, {});
    }

    std::uint32_t mapping(int col, int depth) {
        Node map = mark(Type::Map, m_pos);
        auto& k = kids(depth);
        while (true) {
            const std::size_t colon = keyColon(m_pos);
            if (colon == std::string_view::npos)
                throw Unsupported{};  // a line in the mapping that is not `key: ...`
            std::size_t keyEnd = colon;
            while (keyEnd > m_pos && m_text[keyEnd - 1] == ' ')
                --keyEnd;
            const std::string_view key = m_text.substr(m_pos, keyEnd - m_pos);
            Node kn = mark(nullPlain(key) ? Type::Null : Type::Scalar, m_pos);
            k.push_back(m_tree.addScalar(kn, kn.type == Type::Null ? std::string_view{} : key));
            m_pos = colon + 1;
            k.push_back(valueOf(col, true, depth));
            const int next = skipToContent();
            if (next < col)
                break;
            if (next > col || isEntry(m_pos))
                throw Unsupported{};  // a continuation, or an entry where a key belongs
        }
        return m_tree.add(map, k);
    }

    std::uint32_t sequence(int col, bool indentless, int depth) {
        Node seq = mark(Type::Sequence, m_pos);
        auto& k = kids(depth);
        while (true) {
            m_pos += 1;  // the `-`
            std::size_t p = m_pos;
            while (at(p) == ' ')
                ++p;
            if (at(p) != '\n' && at(p) != '#') {
                m_pos = p;
                const int itemCol = column(p);
                if (isEntry(p))
                    k.push_back(sequence(itemCol, false, depth + 1));
                else if (keyColon(p) != std::string_view::npos)
                    k.push_back(mapping(itemCol, depth + 1));
                else
                    k.push_back(inlineValue(col));
            } else {
                k.push_back(valueOf(col, false, depth));
            }
            const int next = skipToContent();
            if (next < col || (indentless && next == col && !isEntry(m_pos)))
                break;
            if (next > col || !isEntry(m_pos))
                throw Unsupported{};
        }
        return m_tree.add(seq, k);
    }

    /// A scalar (or an empty flow collection) starting at m_pos on this line, in a collection indented
    /// `parent`; leaves m_pos at the end of the line.
    std::uint32_t inlineValue(int parent) {
        const std::size_t start = m_pos;
        const char c = at(start);
        switch (c) {
        case '|': return literal(parent);
        case '"': return quoted(true);
        case '\'': return quoted(false);
        case '{':
        case '[': {
            if (at(start + 1) != (c == '{' ? '}' : ']'))
                throw Unsupported{};
            Node n = mark(c == '{' ? Type::Map : Type::Sequence, start);
            m_pos = start + 2;
            endOfValueLine();
            return m_tree.add(n, {});
        }
        default: break;
        }
        if (std::string_view("]},#&*!>%@`").find(c) != std::string_view::npos)
            throw Unsupported{};
        if ((c == '?' || c == ':' || c == '-') && (at(start + 1) == ' ' || at(start + 1) == '\n'))
            throw Unsupported{};
        std::size_t end = start;
        const std::size_t eol = lineEnd(start);
        while (end < eol && !(m_text[end] == '#' && m_text[end - 1] == ' '))
            ++end;
        while (end > start && m_text[end - 1] == ' ')
            --end;
        const std::string_view value = m_text.substr(start, end - start);
        if (value.back() == ':' || value.find(": ") != std::string_view::npos)
            throw Unsupported{};  // `a: b: c` is an error; libyaml says so
        m_pos = end;
        Node n = mark(nullPlain(value) ? Type::Null : Type::Scalar, start);
        return m_tree.addScalar(n, n.type == Type::Null ? std::string_view{} : value);
    }

    std::uint32_t quoted(bool dbl) {
        const std::size_t start = m_pos;
        std::size_t p = start + 1;
        m_scratch.clear();
        while (true) {
            const char c = at(p);
            if (c == '\n')
                throw Unsupported{};  // a multi-line quoted scalar folds its lines
            if (!dbl && c == '\'') {
                if (at(p + 1) == '\'') {
                    m_scratch += '\'';
                    p += 2;
                    continue;
                }
                break;
            }
            if (dbl && c == '"')
                break;
            if (dbl && c == '\\') {
                const char e = at(p + 1);
                switch (e) {
                case '"': m_scratch += '"'; break;
                case '\\': m_scratch += '\\'; break;
                case '/': m_scratch += '/'; break;
                case 'n': m_scratch += '\n'; break;
                case 't': m_scratch += '\t'; break;
                default: throw Unsupported{};  // rarer escapes: libyaml's
                }
                p += 2;
                continue;
            }
            m_scratch += c;
            ++p;
        }
        m_pos = p + 1;
        endOfValueLine();
        Node n = mark(Type::Scalar, start);
        n.nonPlain = true;
        return m_tree.addScalar(n, m_scratch);
    }

    /// `|` or `|-`: the lines after it indented as the first of them (more than `parent`), each with
    /// its line break; clipped to one final break, or none with `-`.
    std::uint32_t literal(int parent) {
        const std::size_t start = m_pos;
        m_pos = start + 1;
        const bool strip = at(m_pos) == '-';
        if (strip)
            ++m_pos;
        if (at(m_pos) != '\n')
            throw Unsupported{};  // indentation indicators, `+`, comments after the header
        Node n = mark(Type::Scalar, start);
        n.nonPlain = true;
        nextLine();
        // The indentation is the first line's; a blank line before it, or a first line not indented
        // past the parent, is libyaml's to judge.
        std::size_t p = m_pos;
        while (at(p) == ' ')
            ++p;
        const int indent = static_cast<int>(p - m_pos);
        if (p >= m_text.size() || at(p) == '\n' || indent <= parent || indent == 0)
            throw Unsupported{};
        m_scratch.clear();
        bool any = false;
        std::size_t blanks = 0;  // blank lines since the last content line: their breaks follow it if content does
        while (m_pos < m_text.size()) {
            std::size_t q = m_pos;
            while (at(q) == ' ')
                ++q;
            if (at(q) == '\n') {
                if (static_cast<int>(q - m_pos) > indent)
                    throw Unsupported{};  // spaces past the indentation: a line of content
                ++blanks;
                nextLine();
                continue;
            }
            if (static_cast<int>(q - m_pos) < indent)
                break;  // a line indented less: the scalar ended
            if (any)
                m_scratch.append(1 + blanks, '\n');
            blanks = 0;
            any = true;
            const std::size_t from = m_pos + static_cast<std::size_t>(indent);
            m_scratch.append(m_text.substr(from, lineEnd(from) - from));
            nextLine();
        }
        if (!strip)
            m_scratch += '\n';
        // Back to the start of the line that ended the scalar (or the end): the caller skips to it.
        m_pos = m_lineStart;
        return m_tree.addScalar(n, m_scratch);
    }

    std::string_view m_text;
    YamlTree& m_tree;
    std::size_t m_pos = 0;
    std::size_t m_lineStart = 0;
    std::int32_t m_line = 0;
    std::vector<std::vector<std::uint32_t>> m_kids;
    std::string m_scratch;
};

std::shared_ptr<YamlTree> YamlTree::parseBlock(std::string_view text) {
    if (text.size() >= std::numeric_limits<std::uint32_t>::max() / 2)
        return nullptr;
    auto tree = std::make_shared<YamlTree>();
    tree->m_nodes.reserve(text.size() / 16);
    tree->m_children.reserve(text.size() / 16);
    tree->m_text.reserve(text.size() * 3 / 5);
    try {
        BlockScanner(text, *tree).stream();
    } catch (const Unsupported&) {
        return nullptr;
    }
    return tree;
}

}  // namespace aigw::config

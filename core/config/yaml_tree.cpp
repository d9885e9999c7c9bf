#include "config/yaml_tree.h"

#include <yaml.h>

#include <cstring>
#include <algorithm>
#include <limits>
#include <tuple>

namespace aigw::config {
namespace {

/// yaml-cpp reads these plain scalars as Null (IsNullString).
bool isNullString(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

/// libyaml (YAML 1.1) breaks lines at NEL, LS and PS too; yaml-cpp does not. Text that has them
/// goes to yaml-cpp so that its scalars read as before.
bool hasUnicodeBreaks(const std::string& text) {
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    for (const char lead : {'\xC2', '\xE2'}) {
        for (const char* p = begin; (p = static_cast<const char*>(std::memchr(p, lead, static_cast<std::size_t>(end - p))));
             ++p) {
            if (lead == '\xC2' && end - p > 1 && p[1] == '\x85')
                return true;
            if (lead == '\xE2' && end - p > 2 && p[1] == '\x80' && (p[2] == '\xA8' || p[2] == '\xA9'))
                return true;
        }
    }
    return false;
}

/// Translates libyaml's marks into yaml-cpp's: libyaml counts columns in characters, yaml-cpp in
/// bytes; and yaml-cpp marks an empty value (`key:` and nothing) at the token after it.
class Marks {
public:
    explicit Marks(const std::string& text) : m_text(text) {
        m_ascii = std::none_of(text.begin(), text.end(), [](char c) { return (c & 0x80) != 0; });
        m_lineStarts.push_back(0);
        for (const char* p = text.data(); (p = static_cast<const char*>(std::memchr(p, '\n', text.data() + text.size() - p)));)
            m_lineStarts.push_back(static_cast<std::size_t>(++p - text.data()));
    }

    /// The byte column of the `column`-th character of `line`.
    std::int32_t byteColumn(std::size_t line, std::size_t column) const {
        if (m_ascii || line >= m_lineStarts.size())
            return static_cast<std::int32_t>(column);
        std::size_t at = m_lineStarts[line];
        for (std::size_t chars = 0; at < m_text.size() && chars < column; ++chars)
            for (++at; at < m_text.size() && (m_text[at] & 0xC0) == 0x80; ++at) {
            }
        return static_cast<std::int32_t>(at - m_lineStarts[line]);
    }

    /// Where the next token after (line, byte column) starts: past blanks, line breaks and comments.
    std::pair<std::int32_t, std::int32_t> nextToken(std::size_t line, std::int32_t column) const {
        std::size_t at = line < m_lineStarts.size() ? m_lineStarts[line] + static_cast<std::size_t>(column) : m_text.size();
        while (at < m_text.size()) {
            const char c = m_text[at];
            if (c == '#') {
                const auto eol = m_text.find('\n', at);
                at = eol == std::string::npos ? m_text.size() : eol;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                ++at;
            } else {
                break;
            }
        }
        const auto next = std::upper_bound(m_lineStarts.begin(), m_lineStarts.end(), at) - 1;
        return {static_cast<std::int32_t>(next - m_lineStarts.begin()), static_cast<std::int32_t>(at - *next)};
    }

private:
    const std::string& m_text;
    bool m_ascii = true;
    std::vector<std::size_t> m_lineStarts;
};

/// Owns a libyaml parser and its current event.
class Parser {
public:
    explicit Parser(const std::string& text) {
        yaml_parser_initialize(&m_parser);
        yaml_parser_set_input_string(&m_parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    }
    ~Parser() {
        if (m_hasEvent)
            yaml_event_delete(&m_event);
        yaml_parser_delete(&m_parser);
    }
    Parser(const Parser&) = delete;
    Parser& operator=(const Parser&) = delete;

    /// The next event; null at a parse error.
    const yaml_event_t* next() {
        if (m_hasEvent)
            yaml_event_delete(&m_event);
        m_hasEvent = yaml_parser_parse(&m_parser, &m_event) != 0;
        return m_hasEvent ? &m_event : nullptr;
    }

private:
    yaml_parser_t m_parser{};
    yaml_event_t m_event{};
    bool m_hasEvent = false;
};

}  // namespace

// ---- RawNode ----

bool RawNode::isNull() const { return m_tree && m_tree->at(m_id).type == YamlTree::Type::Null; }
bool RawNode::isScalar() const { return m_tree && m_tree->at(m_id).type == YamlTree::Type::Scalar; }
bool RawNode::isSequence() const { return m_tree && m_tree->at(m_id).type == YamlTree::Type::Sequence; }
bool RawNode::isMap() const { return m_tree && m_tree->at(m_id).type == YamlTree::Type::Map; }

std::string_view RawNode::scalar() const {
    if (!isScalar())
        return {};
    const auto& n = m_tree->at(m_id);
    return std::string_view(m_tree->m_text).substr(n.begin, n.count);
}

std::string_view RawNode::tag() const {
    if (!m_tree)
        return {};
    const auto& n = m_tree->at(m_id);
    if (n.type == YamlTree::Type::Null)
        return {};
    if (n.tag > 0)
        return m_tree->m_tags[n.tag - 1u];
    return n.nonPlain ? "!" : "?";
}

int RawNode::line() const { return m_tree ? m_tree->at(m_id).line : -1; }
int RawNode::column() const { return m_tree ? m_tree->at(m_id).column : -1; }

std::size_t RawNode::size() const {
    if (!m_tree)
        return 0;
    const auto& n = m_tree->at(m_id);
    return n.type == YamlTree::Type::Sequence || n.type == YamlTree::Type::Map ? n.count : 0;
}

RawNode RawNode::operator[](std::size_t i) const {
    if (!isSequence() || i >= size())
        return {};
    return RawNode(m_tree, m_tree->m_children[m_tree->at(m_id).begin + i]);
}

RawNode RawNode::key(std::size_t i) const {
    if (!isMap() || i >= size())
        return {};
    return RawNode(m_tree, m_tree->m_children[m_tree->at(m_id).begin + 2 * i]);
}

RawNode RawNode::value(std::size_t i) const {
    if (!isMap() || i >= size())
        return {};
    return RawNode(m_tree, m_tree->m_children[m_tree->at(m_id).begin + 2 * i + 1]);
}

RawNode RawNode::child(std::string_view key) const {
    if (!isMap())
        return {};
    const auto& n = m_tree->at(m_id);
    for (std::uint32_t i = 0; i < n.count; ++i) {
        const auto& k = m_tree->at(m_tree->m_children[n.begin + 2 * i]);
        if (k.type == YamlTree::Type::Scalar && k.count == key.size() &&
            std::memcmp(m_tree->m_text.data() + k.begin, key.data(), key.size()) == 0)
            return RawNode(m_tree, m_tree->m_children[n.begin + 2 * i + 1]);
    }
    return {};
}

// ---- YamlTree ----

std::size_t YamlTree::bytes() const {
    std::size_t b = m_nodes.capacity() * sizeof(Node) + m_children.capacity() * sizeof(std::uint32_t) +
                    m_text.capacity() + m_documents.capacity() * sizeof(std::uint32_t);
    for (const auto& t : m_tags)
        b += sizeof(std::string) + t.capacity();
    return b;
}

std::uint16_t YamlTree::tagIndex(const std::string& tag) {
    for (std::size_t i = 0; i < m_tags.size(); ++i)
        if (m_tags[i] == tag)
            return static_cast<std::uint16_t>(i + 1);
    if (m_tags.size() + 1 >= std::numeric_limits<std::uint16_t>::max())
        return 0;  // tens of thousands of distinct tags: the rest read as untagged
    m_tags.push_back(tag);
    return static_cast<std::uint16_t>(m_tags.size());
}

std::uint32_t YamlTree::add(Node node, const std::vector<std::uint32_t>& kids) {
    node.begin = static_cast<std::uint32_t>(m_children.size());
    node.count = static_cast<std::uint32_t>(node.type == Type::Map ? kids.size() / 2 : kids.size());
    m_children.insert(m_children.end(), kids.begin(), kids.end());
    m_nodes.push_back(node);
    return static_cast<std::uint32_t>(m_nodes.size() - 1);
}

std::uint32_t YamlTree::addScalar(Node node, std::string_view text) {
    node.begin = static_cast<std::uint32_t>(m_text.size());
    node.count = static_cast<std::uint32_t>(text.size());
    m_text.append(text);
    m_nodes.push_back(node);
    return static_cast<std::uint32_t>(m_nodes.size() - 1);
}

std::shared_ptr<const YamlTree> YamlTree::parseFast(const std::string& text) {
    // Offsets are 32-bit; far larger inputs (and unusual line breaks) are yaml-cpp's.
    if (text.size() >= std::numeric_limits<std::uint32_t>::max() / 2 || hasUnicodeBreaks(text))
        return nullptr;
    auto tree = std::make_shared<YamlTree>();
    // Kubernetes YAML runs about one node per 16 bytes and 60 % of it is scalar text.
    tree->m_nodes.reserve(text.size() / 16);
    tree->m_children.reserve(text.size() / 16);
    tree->m_text.reserve(text.size() * 3 / 5);
    struct Open {
        Node node;
        std::vector<std::uint32_t> kids;
    };
    std::vector<Open> open;  // collections being read, outermost first; their kids vectors are reused
    std::size_t depth = 0;
    Parser parser(text);
    auto done = [&](std::uint32_t id) {
        if (depth == 0)
            tree->m_documents.push_back(id);
        else
            open[depth - 1].kids.push_back(id);
    };
    const Marks marks(text);
    while (true) {
        const yaml_event_t* ev = parser.next();
        if (!ev)
            return nullptr;  // yaml-cpp reports the error in its own words
        Node node;
        node.line = static_cast<std::int32_t>(ev->start_mark.line);
        node.column = marks.byteColumn(ev->start_mark.line, ev->start_mark.column);
        switch (ev->type) {
        case YAML_STREAM_END_EVENT:
            tree->m_nodes.shrink_to_fit();
            tree->m_children.shrink_to_fit();
            tree->m_text.shrink_to_fit();
            return tree;
        case YAML_ALIAS_EVENT:
            return nullptr;  // yaml-cpp shares the aliased node; the loader bounds its expansion there
        case YAML_SCALAR_EVENT: {
            const auto& s = ev->data.scalar;
            if (s.tag)
                return nullptr;
            const std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
            if (s.style == YAML_PLAIN_SCALAR_STYLE && isNullString(value)) {
                node.type = Type::Null;
                if (value.empty())
                    std::tie(node.line, node.column) = marks.nextToken(static_cast<std::size_t>(node.line), node.column);
                done(tree->addScalar(node, {}));
            } else {
                node.type = Type::Scalar;
                node.nonPlain = s.style != YAML_PLAIN_SCALAR_STYLE;
                done(tree->addScalar(node, value));
            }
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            const bool map = ev->type == YAML_MAPPING_START_EVENT;
            if (map ? ev->data.mapping_start.tag != nullptr : ev->data.sequence_start.tag != nullptr)
                return nullptr;
            if (depth >= kMaxDepth)
                return nullptr;
            node.type = map ? Type::Map : Type::Sequence;
            if (open.size() <= depth)
                open.emplace_back();
            open[depth].node = node;
            open[depth].kids.clear();
            ++depth;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            --depth;
            done(tree->add(open[depth].node, open[depth].kids));
            break;
        }
        default:
            break;  // stream and document start, document end
        }
    }
}

std::uint32_t YamlTree::copy(const YAML::Node& n) {
    Node node;
    const YAML::Mark mark = n.Mark();
    node.line = mark.line;  // -1 for a null mark
    node.column = mark.column;
    const std::string& tag = n.Tag();
    switch (n.Type()) {
    case YAML::NodeType::Scalar:
        node.type = Type::Scalar;
        node.nonPlain = tag == "!";
        node.tag = tag == "!" || tag == "?" ? 0 : tagIndex(tag);
        return addScalar(node, n.Scalar());
    case YAML::NodeType::Sequence:
    case YAML::NodeType::Map: {
        const bool map = n.IsMap();
        node.type = map ? Type::Map : Type::Sequence;
        node.tag = tag.empty() || tag == "?" ? 0 : tagIndex(tag);
        std::vector<std::uint32_t> kids;
        kids.reserve(map ? 2 * n.size() : n.size());
        if (map) {
            for (const auto& kv : n) {
                kids.push_back(copy(kv.first));
                kids.push_back(copy(kv.second));
            }
        } else {
            for (const auto& item : n)
                kids.push_back(copy(item));
        }
        return add(node, kids);
    }
    default:
        node.type = Type::Null;
        return addScalar(node, {});
    }
}

std::shared_ptr<const YamlTree> YamlTree::fromYamlCpp(const std::vector<YAML::Node>& documents) {
    auto tree = std::make_shared<YamlTree>();
    for (const auto& d : documents)
        tree->m_documents.push_back(tree->copy(d));
    return tree;
}

YAML::Node toYamlCpp(const RawNode& n) {
    if (!n.isDefined())
        return YAML::Node(YAML::NodeType::Undefined);
    if (n.isNull())
        return YAML::Node(YAML::NodeType::Null);
    if (n.isScalar()) {
        YAML::Node s(std::string(n.scalar()));
        s.SetTag(std::string(n.tag()));
        return s;
    }
    YAML::Node out(n.isMap() ? YAML::NodeType::Map : YAML::NodeType::Sequence);
    out.SetTag(std::string(n.tag()));
    if (n.isMap()) {
        for (std::size_t i = 0; i < n.size(); ++i)
            out.force_insert(toYamlCpp(n.key(i)), toYamlCpp(n.value(i)));
    } else {
        for (std::size_t i = 0; i < n.size(); ++i)
            out.push_back(toYamlCpp(n[i]));
    }
    return out;
}

}  // namespace aigw::config

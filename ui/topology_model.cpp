#include "topology_model.h"

#include <QBrush>
#include <QFont>
#include <QSet>
#include <QUndoStack>

#include <algorithm>

#include "split_math.h"

namespace aigw::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

QString ruleLabel(const config::RouteRule& rule, int index) {
    QString label = rule.name ? q(*rule.name) : QStringLiteral("rule %1").arg(index);
    QStringList matches;
    for (const auto& m : rule.matches)
        for (const auto& h : m.headers)
            matches << QStringLiteral("%1 %2 %3")
                           .arg(q(h.name),
                                h.effectiveType() == config::HeaderMatchType::Exact ? QStringLiteral("=")
                                                                                     : QStringLiteral("~"),
                                q(h.value));
    if (!matches.isEmpty())
        label += QStringLiteral(": ") + matches.join(QStringLiteral(", "));
    return label;
}
}  // namespace

TopologyModel::TopologyModel(QObject* parent) : QAbstractItemModel(parent) {}

void TopologyModel::setConfig(const config::Config& config) {
    beginResetModel();
    m_config = config;
    m_status = routing::routeStatuses(m_config);
    // As Snapshot::build: a route that is not accepted keeps serving if it was served before.
    std::set<std::string> served;
    for (auto& st : m_status) {
        if (!st.accepted && m_served.count(st.route))
            st.servingLastAccepted = true;
        if (st.accepted || st.servingLastAccepted)
            served.insert(st.route);
    }
    m_served = std::move(served);
    rebuild();
    endResetModel();
}

QString TopologyModel::statusText(const routing::RouteStatus& st) {
    if (st.accepted)
        return QStringLiteral("Accepted");
    return QStringLiteral("Not accepted: %1%2")
        .arg(q(st.reason), st.servingLastAccepted ? QStringLiteral("; serving the last accepted version") : QString());
}

void TopologyModel::setUnhealthy(const std::set<std::string>& backends) {
    if (backends == m_unhealthy)
        return;
    m_unhealthy = backends;
    for (const auto& n : m_nodes)
        if (n.type == NodeType::BackendRef)
            emit dataChanged(indexFor(n.path, NameColumn), indexFor(n.path, TargetColumn));
}

void TopologyModel::rebuild() {
    m_nodes.clear();
    m_top.clear();
    // Group routes by the Gateway they attach to (first parentRef), in first-seen order. A
    // Gateway outside the default namespace is namespace/name: a cluster has `ai-gateway` in
    // every team's namespace, and those are different Gateways.
    auto gatewayOf = [](const config::AIGatewayRoute& r) {
        if (r.parentRefs.empty())
            return QStringLiteral("(no parentRef)");
        const auto& ref = r.parentRefs.front();
        const std::string ns = ref.ns ? *ref.ns : r.meta.effectiveNamespace();
        return ns == "default" ? q(ref.name) : q(ns) + QLatin1Char('/') + q(ref.name);
    };
    std::vector<QString> gateways;
    std::vector<QString> routeGateway;
    for (const auto& r : m_config.routes) {
        routeGateway.push_back(gatewayOf(r));
        if (std::find(gateways.begin(), gateways.end(), routeGateway.back()) == gateways.end())
            gateways.push_back(routeGateway.back());
    }
    for (const auto& gw : gateways) {
        const int gi = static_cast<int>(m_nodes.size());
        m_nodes.push_back({NodeType::Gateway, -1, static_cast<int>(m_top.size()), {}, gw, {}});
        m_top.push_back(gi);
        for (int ri = 0; ri < static_cast<int>(m_config.routes.size()); ++ri) {
            const auto& route = m_config.routes[ri];
            if (routeGateway[static_cast<std::size_t>(ri)] != gw)
                continue;
            const int rn = static_cast<int>(m_nodes.size());
            m_nodes.push_back({NodeType::Route, gi, static_cast<int>(m_nodes[gi].children.size()), {ri, -1, -1}, gw, {}});
            m_nodes[gi].children.push_back(rn);
            for (int ui = 0; ui < static_cast<int>(route.rules.size()); ++ui) {
                const int un = static_cast<int>(m_nodes.size());
                m_nodes.push_back(
                    {NodeType::Rule, rn, static_cast<int>(m_nodes[rn].children.size()), {ri, ui, -1}, gw, {}});
                m_nodes[rn].children.push_back(un);
                for (int fi = 0; fi < static_cast<int>(route.rules[ui].backendRefs.size()); ++fi) {
                    const int fn = static_cast<int>(m_nodes.size());
                    m_nodes.push_back({NodeType::BackendRef, un, static_cast<int>(m_nodes[un].children.size()),
                                       {ri, ui, fi}, gw, {}});
                    m_nodes[un].children.push_back(fn);
                }
            }
        }
    }
}

const TopologyModel::Node* TopologyModel::node(const QModelIndex& index) const {
    if (!index.isValid() || index.model() != this)
        return nullptr;
    const auto i = static_cast<std::size_t>(index.internalId());
    return i < m_nodes.size() ? &m_nodes[i] : nullptr;
}

QModelIndex TopologyModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    const std::vector<int>* kids = &m_top;
    if (parent.isValid()) {
        const Node* p = node(parent);
        if (!p || parent.column() != 0)
            return {};
        kids = &p->children;
    }
    if (row >= static_cast<int>(kids->size()))
        return {};
    return createIndex(row, column, static_cast<quintptr>((*kids)[row]));
}

QModelIndex TopologyModel::parent(const QModelIndex& child) const {
    const Node* n = node(child);
    if (!n || n->parent < 0)
        return {};
    const Node& p = m_nodes[n->parent];
    return createIndex(p.row, 0, static_cast<quintptr>(n->parent));
}

int TopologyModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid())
        return static_cast<int>(m_top.size());
    if (parent.column() != 0)
        return 0;
    const Node* n = node(parent);
    return n ? static_cast<int>(n->children.size()) : 0;
}

int TopologyModel::columnCount(const QModelIndex&) const { return ColumnCount; }

TopologyModel::NodeType TopologyModel::nodeType(const QModelIndex& index) const {
    const Node* n = node(index);
    return n ? n->type : NodeType::Gateway;
}

RefPath TopologyModel::refPath(const QModelIndex& index) const {
    const Node* n = node(index);
    return n ? n->path : RefPath{};
}

QModelIndex TopologyModel::indexForNode(const RefPath& path) const {
    const NodeType want = path.rule < 0 ? NodeType::Route : path.ref < 0 ? NodeType::Rule : NodeType::BackendRef;
    for (std::size_t i = 0; i < m_nodes.size(); ++i)
        if (m_nodes[i].type == want && m_nodes[i].path == path)
            return createIndex(m_nodes[i].row, 0, static_cast<quintptr>(i));
    return {};
}

QString TopologyModel::virtualModel(const config::RouteRule& rule) {
    for (const auto& m : rule.matches)
        for (const auto& h : m.headers)
            if (h.effectiveType() == config::HeaderMatchType::Exact &&
                q(h.name).compare(QStringLiteral("x-ai-eg-model"), Qt::CaseInsensitive) == 0)
                return q(h.value);
    return {};
}

RefPath TopologyModel::ruleForModel(const QString& model) const {
    if (model.isEmpty())
        return {};
    for (int r = 0; r < static_cast<int>(m_config.routes.size()); ++r)
        for (int u = 0; u < static_cast<int>(m_config.routes[r].rules.size()); ++u)
            if (virtualModel(m_config.routes[r].rules[u]) == model)
                return {r, u, -1};
    return {};
}

QStringList TopologyModel::virtualModels() const {
    QStringList out;
    QSet<QString> seen;
    for (const auto& route : m_config.routes)
        for (const auto& rule : route.rules) {
            const QString m = virtualModel(rule);
            if (!m.isEmpty() && !seen.contains(m)) {
                seen.insert(m);
                out << m;
            }
        }
    return out;
}

QModelIndex TopologyModel::indexFor(const RefPath& path, int column) const {
    for (std::size_t i = 0; i < m_nodes.size(); ++i)
        if (m_nodes[i].type == NodeType::BackendRef && m_nodes[i].path == path)
            return createIndex(m_nodes[i].row, column, static_cast<quintptr>(i));
    return {};
}

config::BackendRefSpec TopologyModel::backendRef(const RefPath& p) const {
    return m_config.routes.at(p.route).rules.at(p.rule).backendRefs.at(p.ref);
}

QVariant TopologyModel::data(const QModelIndex& index, int role) const {
    const Node* n = node(index);
    if (!n)
        return {};
    const int col = index.column();
    if (role == FilterRole) {
        if (col != NameColumn)
            return {};
        switch (n->type) {
        case NodeType::Gateway: return n->gateway;
        case NodeType::Route: {
            const auto& meta = m_config.routes[n->path.route].meta;
            return QStringLiteral("%1/%2").arg(q(meta.effectiveNamespace()), q(meta.name));
        }
        case NodeType::Rule: {
            QStringList models;
            for (const auto& m : m_config.routes[n->path.route].rules[n->path.rule].matches)
                for (const auto& h : m.headers)
                    models << q(h.value);
            return models.join(QLatin1Char(' '));
        }
        case NodeType::BackendRef: {
            const auto& ref = m_config.routes[n->path.route].rules[n->path.rule].backendRefs[n->path.ref];
            return ref.modelNameOverride ? q(ref.name) + QLatin1Char(' ') + q(*ref.modelNameOverride) : q(ref.name);
        }
        }
        return {};
    }
    if (n->type != NodeType::BackendRef) {
        if (col != NameColumn)
            return {};
        if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
            switch (n->type) {
            case NodeType::Gateway: return QStringLiteral("Gateway %1").arg(n->gateway);
            case NodeType::Route: {
                const QString name = q(m_config.routes[n->path.route].meta.name);
                const auto ri = static_cast<std::size_t>(n->path.route);
                if (ri >= m_status.size())
                    return QStringLiteral("AIGatewayRoute %1").arg(name);
                const auto& st = m_status[ri];
                if (role == Qt::ToolTipRole)
                    return QStringLiteral("AIGatewayRoute %1\nStatus: %2\n\n%3")
                        .arg(name, statusText(st),
                             st.accepted ? QStringLiteral("The controller accepted the route: the gateway serves it.")
                             : st.servingLastAccepted
                                 ? QStringLiteral("A backendRef names a missing AIServiceBackend or Backend, so the "
                                                  "controller rejects the whole route and leaves its HTTPRoute as it "
                                                  "was: the last accepted version keeps serving.")
                                 : QStringLiteral("A backendRef names a missing AIServiceBackend or Backend, so the "
                                                  "controller rejects the whole route: its models answer 404."));
                // The reason can be long: the row says what it means for traffic, the tooltip and the
                // panel's note under the tree give it in full.
                if (st.accepted)
                    return QStringLiteral("AIGatewayRoute %1 \u2014 Accepted").arg(name);
                return QStringLiteral("AIGatewayRoute %1 \u2014 Not accepted (%2)")
                    .arg(name, st.servingLastAccepted ? QStringLiteral("last accepted serving")
                                                      : QStringLiteral("not served"));
            }
            case NodeType::Rule:
                return ruleLabel(m_config.routes[n->path.route].rules[n->path.rule], n->path.rule);
            default: return {};
            }
        }
        if (role == Qt::ForegroundRole && n->type == NodeType::Route &&
            static_cast<std::size_t>(n->path.route) < m_status.size() &&
            !m_status[static_cast<std::size_t>(n->path.route)].accepted)
            return QBrush(m_status[static_cast<std::size_t>(n->path.route)].servingLastAccepted ? QColor(200, 100, 0)
                                                                                                : QColor(190, 0, 0));
        if (role == Qt::FontRole && n->type != NodeType::Rule) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    }
    const auto& rule = m_config.routes[n->path.route].rules[n->path.rule];
    const auto& ref = rule.backendRefs[n->path.ref];
    const std::string routeNs = m_config.routes[n->path.route].meta.effectiveNamespace();
    if (role == Qt::DisplayRole || role == Qt::EditRole) {
        switch (col) {
        case NameColumn: return q(ref.name);
        case WeightColumn:
            if (role == Qt::EditRole)
                return static_cast<qlonglong>(ref.effectiveWeight());
            return QString::number(ref.effectiveWeight());  // a default is shown in grey italics
        case PriorityColumn:
            if (role == Qt::EditRole)
                return static_cast<qlonglong>(ref.effectivePriority());
            return QString::number(ref.effectivePriority());
        case OverrideColumn: return ref.modelNameOverride ? q(*ref.modelNameOverride) : QString();
        case TargetColumn: {
            if (role == Qt::EditRole)
                return {};
            if (ref.effectiveWeight() <= 0)
                return QStringLiteral("absent (weight 0)");
            const TargetSplit split = targetSplit(rule, routeNs, m_unhealthy);
            if (m_unhealthy.count(laneKey(ref, routeNs)))
                return QStringLiteral("out of rotation");
            if (ref.effectivePriority() != split.activePriority)
                return QStringLiteral("standby (P%1)").arg(ref.effectivePriority());
            return QStringLiteral("%1 %").arg(split.shares[n->path.ref] * 100.0, 0, 'f', 1);
        }
        default: return {};
        }
    }
    if (role == Qt::UserRole && col == TargetColumn)
        return targetSplit(rule, routeNs, m_unhealthy).shares[n->path.ref];
    if (role == Qt::ForegroundRole && col == TargetColumn) {
        const TargetSplit split = targetSplit(rule, routeNs, m_unhealthy);
        if (split.shares[n->path.ref] <= 0)
            return QBrush(Qt::gray);
    }
    // Values the YAML leaves unset (the default applies) are grey and italic, so the narrow
    // columns need no "(default)" text.
    const bool isDefault = (col == WeightColumn && !ref.weight) || (col == PriorityColumn && !ref.priority);
    if (role == Qt::FontRole && isDefault) {
        QFont f;
        f.setItalic(true);
        return f;
    }
    if (role == Qt::ForegroundRole && isDefault)
        return QBrush(QColor(120, 120, 120));
    if (role == Qt::ToolTipRole) {
        const QString unset = isDefault ? QStringLiteral("Not set in the YAML: the default applies.\n") : QString();
        if (col == WeightColumn)
            return unset + QStringLiteral("Weight within the same priority (default 1, 0 removes the backend). Double-click to edit.");
        if (col == PriorityColumn)
            return unset + QStringLiteral("0 is tried first; higher numbers are fallbacks (default 0). Double-click to edit.");
        if (col == OverrideColumn)
            return QStringLiteral("The model name sent upstream; empty keeps the client's model.");
        if (col == TargetColumn)
            return QStringLiteral("Share of first attempts this backendRef should get (active priority only).");
    }
    return {};
}

bool TopologyModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    const Node* n = node(index);
    if (!n || n->type != NodeType::BackendRef || role != Qt::EditRole)
        return false;
    const auto before = backendRef(n->path);
    auto after = before;
    QString what;
    switch (index.column()) {
    case WeightColumn:
    case PriorityColumn: {
        bool ok = false;
        const qlonglong v = value.toString().trimmed().toLongLong(&ok);
        const char* field = index.column() == WeightColumn ? "weight" : "priority";
        if (!ok || v < 0 || v > 2147483647LL) {
            emit editRejected(QStringLiteral("%1 must be a whole number from 0 to 2147483647 (got '%2')")
                                  .arg(QLatin1String(field), value.toString()));
            return false;
        }
        (index.column() == WeightColumn ? after.weight : after.priority) = v;
        what = QStringLiteral("%1 %2 -> %3").arg(QLatin1String(field), q(before.name)).arg(v);
        break;
    }
    case OverrideColumn: {
        const QString s = value.toString().trimmed();
        if (s.isEmpty())
            after.modelNameOverride.reset();
        else
            after.modelNameOverride = s.toStdString();
        what = QStringLiteral("modelNameOverride %1 -> %2").arg(q(before.name), s.isEmpty() ? QStringLiteral("(none)") : s);
        break;
    }
    default: return false;
    }
    if (after == before)
        return true;
    if (m_undo)
        m_undo->push(new EditBackendRefCommand(this, n->path, before, after, what));
    else
        applyBackendRef(n->path, after);
    return true;
}

void TopologyModel::applyBackendRef(const RefPath& path, const config::BackendRefSpec& spec) {
    // An undo command can outlive the config it was made for; the stack is cleared on setConfig,
    // but a stale path must never crash.
    if (path.route < 0 || path.route >= static_cast<int>(m_config.routes.size()) || path.rule < 0 ||
        path.rule >= static_cast<int>(m_config.routes[path.route].rules.size()) || path.ref < 0 ||
        path.ref >= static_cast<int>(m_config.routes[path.route].rules[path.rule].backendRefs.size()))
        return;
    m_config.routes.at(path.route).rules.at(path.rule).backendRefs.at(path.ref) = spec;
    // Shares of the sibling refs change too, so refresh the whole rule.
    const auto& refs = m_config.routes[path.route].rules[path.rule].backendRefs;
    const QModelIndex first = indexFor({path.route, path.rule, 0}, NameColumn);
    const QModelIndex last = indexFor({path.route, path.rule, static_cast<int>(refs.size()) - 1}, TargetColumn);
    if (first.isValid() && last.isValid())
        emit dataChanged(first, last);
    emit backendRefEdited(path, spec);
}

Qt::ItemFlags TopologyModel::flags(const QModelIndex& index) const {
    const Node* n = node(index);
    if (!n)
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (n->type == NodeType::BackendRef &&
        (index.column() == WeightColumn || index.column() == PriorityColumn || index.column() == OverrideColumn))
        f |= Qt::ItemIsEditable;
    if (n->type == NodeType::BackendRef)
        f |= Qt::ItemNeverHasChildren;
    return f;
}

QVariant TopologyModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && (section == WeightColumn || section == PriorityColumn))
        return QStringLiteral("Grey italics: not set in the YAML, the default applies");
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return QStringLiteral("Name");
    case WeightColumn: return QStringLiteral("Weight");
    case PriorityColumn: return QStringLiteral("Priority");
    case OverrideColumn: return QStringLiteral("modelNameOverride");
    case TargetColumn: return QStringLiteral("Target");
    default: return {};
    }
}

EditBackendRefCommand::EditBackendRefCommand(TopologyModel* model, RefPath path, config::BackendRefSpec before,
                                             config::BackendRefSpec after, const QString& text)
    : m_model(model), m_path(path), m_before(std::move(before)), m_after(std::move(after)) {
    setText(text);
}

void EditBackendRefCommand::undo() { m_model->applyBackendRef(m_path, m_before); }
void EditBackendRefCommand::redo() { m_model->applyBackendRef(m_path, m_after); }

}  // namespace aigw::ui

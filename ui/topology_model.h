#pragma once
// Gateway -> AIGatewayRoute -> rule -> backendRef as a tree. Weight, priority and modelNameOverride
// of a backendRef are editable in place; each edit is a QUndoCommand on the given stack (so Ctrl+Z
// works) and is announced with backendRefEdited() so the bridge can apply it to the running gateway.
// The "Target" column shows the share each backendRef should get within its rule's active priority.
// Route rows carry the route's status (Accepted / Not accepted: reason), as the controller reports it.

#include <QAbstractItemModel>
#include <QUndoCommand>

#include <set>
#include <string>
#include <vector>

#include "config/model.h"
#include "routing/engine.h"

class QUndoStack;

namespace aigw::ui {

/// Indices of one backendRef inside Config::routes.
struct RefPath {
    int route = -1;
    int rule = -1;
    int ref = -1;
    bool operator==(const RefPath&) const = default;
};

class TopologyModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, WeightColumn, PriorityColumn, OverrideColumn, TargetColumn, ColumnCount };
    enum class NodeType { Gateway, Route, Rule, BackendRef };
    /// What the Topology dock's filter box matches on (name column): a Gateway's name, a route's
    /// namespace/name, a rule's virtual models, a backendRef's name and modelNameOverride.
    static constexpr int FilterRole = Qt::UserRole + 1;

    explicit TopologyModel(QObject* parent = nullptr);

    /// Replaces the whole tree (a new config was opened or applied).
    void setConfig(const config::Config& config);
    const config::Config& config() const { return m_config; }
    /// Edits are pushed here; without a stack they apply directly.
    void setUndoStack(QUndoStack* stack) { m_undo = stack; }
    /// AIServiceBackends currently out of rotation (ejected, deleted); changes the Target column.
    void setUnhealthy(const std::set<std::string>& backends);
    const std::set<std::string>& unhealthy() const { return m_unhealthy; }
    /// Each route's acceptance, as the gateway decides it (routing::routeStatuses), in config order.
    /// servingLastAccepted follows the configs shown here: a route that breaks keeps serving the
    /// version last accepted while it stays in the config, as the engine keeps it.
    const std::vector<routing::RouteStatus>& routeStatus() const { return m_status; }
    /// "Accepted", or "Not accepted: <reason>" plus "; serving the last accepted version". Route rows
    /// show "AIGatewayRoute <name> \u2014 Accepted" or "... \u2014 Not accepted (not served | last
    /// accepted serving)"; their tooltip has this text.
    static QString statusText(const routing::RouteStatus& status);

    /// Applies an edit without the undo stack (the undo command calls this).
    void applyBackendRef(const RefPath& path, const config::BackendRefSpec& spec);
    config::BackendRefSpec backendRef(const RefPath& path) const;
    QModelIndex indexFor(const RefPath& path, int column) const;
    /// The row of a route (path.rule < 0) or of a rule (path.ref < 0), column 0; invalid if none.
    QModelIndex indexForNode(const RefPath& path) const;
    /// The virtual model a rule answers: its first Exact x-ai-eg-model header match, else empty.
    static QString virtualModel(const config::RouteRule& rule);
    /// The first rule (route and rule filled) whose virtual model is `model`; route -1 if none.
    RefPath ruleForModel(const QString& model) const;
    /// Every virtual model of the config, in config order, once each.
    QStringList virtualModels() const;
    NodeType nodeType(const QModelIndex& index) const;
    RefPath refPath(const QModelIndex& index) const;  ///< route/rule filled for Rule nodes too

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    /// A backendRef changed (edit, undo or redo). The bridge forwards it to the gateway.
    void backendRefEdited(const aigw::ui::RefPath& path, const aigw::config::BackendRefSpec& spec);
    /// Problems with a proposed edit (e.g. a negative weight) are reported, not applied.
    void editRejected(const QString& reason);

private:
    struct Node {
        NodeType type;
        int parent;  ///< node index, -1 for top level
        int row;     ///< row within the parent
        RefPath path;
        QString gateway;
        std::vector<int> children;
    };
    void rebuild();
    const Node* node(const QModelIndex& index) const;

    config::Config m_config;
    std::set<std::string> m_unhealthy;
    std::vector<routing::RouteStatus> m_status;
    std::set<std::string> m_served;  ///< routes the gateway serves (accepted, or a last accepted version)
    std::vector<Node> m_nodes;
    std::vector<int> m_top;
    QUndoStack* m_undo = nullptr;
};

/// One in-place edit of a backendRef, undoable.
class EditBackendRefCommand : public QUndoCommand {
public:
    EditBackendRefCommand(TopologyModel* model, RefPath path, config::BackendRefSpec before,
                          config::BackendRefSpec after, const QString& text);
    void undo() override;
    void redo() override;

private:
    TopologyModel* m_model;
    RefPath m_path;
    config::BackendRefSpec m_before;
    config::BackendRefSpec m_after;
};

}  // namespace aigw::ui

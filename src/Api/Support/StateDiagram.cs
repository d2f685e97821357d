using System.Globalization;
using System.Net;
using System.Text;
using GlobalCommerce.Sagas.Orders;

namespace GlobalCommerce.Api.Support;

// The saga's states and transitions as an SVG: the happy path left to right, the review and verification detours
// above and below it, the terminal failures at the bottom. States the order went through are tinted, the transitions
// it took drawn bold, the current state filled.
public static class StateDiagram
{
    const int Width = 150, Height = 40;

    // The states named by the machine's own State objects; a state added to the machine and not here still shows.
    static Dictionary<string, (int X, int Y)> Layout(OrderStateMachine m) => new(StringComparer.Ordinal)
    {
        [m.Initial.Name] = (10, 110),
        [m.Pending.Name] = (180, 110),
        [m.AwaitingFraudCheck.Name] = (350, 110),
        [m.AwaitingFraudReview.Name] = (350, 10),
        [m.AwaitingPayment.Name] = (520, 110),
        [m.VerifyingPayment.Name] = (520, 210),
        [m.Confirmed.Name] = (690, 110),
        [m.Completed.Name] = (860, 110),
        [m.Failed.Name] = (350, 310),
        [m.Cancelled.Name] = (690, 310),
    };

    public static string Render(OrderStateMachineModel model, string current, IReadOnlyCollection<(string From, string To)> taken)
    {
        var machine = model.Machine;
        var positions = Layout(machine);
        // A state added to the machine but not to the layout still shows, in a row of its own.
        var extra = 0;
        foreach (var state in model.OrderStates.Where(s => !positions.ContainsKey(s)))
            positions[state] = (10 + 170 * extra++, 410);
        var height = extra > 0 ? 460 : 360;

        var visited = taken.SelectMany(t => new[] { t.From, t.To }).ToHashSet(StringComparer.Ordinal);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg class="diagram" viewBox="0 0 1020 {height}" role="img" aria-label="Order state machine, current state {Encode(current)}" xmlns="http://www.w3.org/2000/svg">""");
        svg.Append("""<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#94a3b8"/></marker><marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#2563eb"/></marker></defs>""");

        var edges = model.Transitions.Where(t => positions.ContainsKey(t.From) && positions.ContainsKey(t.To)).ToList();
        foreach (var (from, to) in edges.OrderBy(e => taken.Contains(e)))
        {
            var isTaken = taken.Contains((from, to));
            // Compensation paths to Failed/Cancelled exist from almost every state: drawn faint unless the order took one.
            var css = isTaken ? "edge taken" : model.IsTerminal(to) && to != machine.Completed.Name ? "edge compensation" : "edge";
            var (x1, y1, x2, y2) = Connect(positions[from], positions[to]);
            svg.Append(CultureInfo.InvariantCulture,
                $"""<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="{css}" marker-end="url(#{(isTaken ? "arrow-taken" : "arrow")})"><title>{Encode(from)} → {Encode(to)}</title></line>""");
        }

        foreach (var (state, (x, y)) in positions.Where(p => model.States.Contains(p.Key)))
        {
            var css = state == current ? "node current" : visited.Contains(state) ? "node visited" : "node";
            if (model.IsTerminal(state))
                css += " terminal";
            svg.Append(CultureInfo.InvariantCulture,
                $"""<g class="{css}" data-state="{Encode(state)}"><rect x="{x}" y="{y}" width="{Width}" height="{Height}" rx="10"/><text x="{x + Width / 2}" y="{y + Height / 2 + 4}" text-anchor="middle">{Encode(model.Label(state))}</text></g>""");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    // From the edge of one box to the edge of the other, along the line between their centres.
    static (double, double, double, double) Connect((int X, int Y) a, (int X, int Y) b)
    {
        double ax = a.X + Width / 2.0, ay = a.Y + Height / 2.0, bx = b.X + Width / 2.0, by = b.Y + Height / 2.0;
        var (sx, sy) = Clip(ax, ay, bx - ax, by - ay);
        var (ex, ey) = Clip(bx, by, ax - bx, ay - by);
        return (Math.Round(sx, 1), Math.Round(sy, 1), Math.Round(ex, 1), Math.Round(ey, 1));
    }

    static (double, double) Clip(double cx, double cy, double dx, double dy)
    {
        var scale = Math.Min(dx == 0 ? double.MaxValue : (Width / 2.0 + 4) / Math.Abs(dx), dy == 0 ? double.MaxValue : (Height / 2.0 + 4) / Math.Abs(dy));
        return (cx + dx * scale, cy + dy * scale);
    }

    static string Encode(string text) => WebUtility.HtmlEncode(text);
}

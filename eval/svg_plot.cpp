// The SVG plot behind svg_plot() (eval/report.h): fixed 640x440 canvas, axes with ticks every
// 0.2, the y range fitted to the data so small quality differences stay visible.
#include "eval/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace switchyard::eval {

namespace {

constexpr double W = 640, H = 440, L = 70, R = 170, T = 50, B = 60;  // canvas and margins (legend on the right)

// Tick labels: "20%", or "12.5%" when a whole number would hide the difference.
std::string pct_label(double fraction) {
    char buf[32];
    const double v = fraction * 100;
    std::snprintf(buf, sizeof buf, std::fabs(v - std::round(v)) < 0.05 ? "%.0f%%" : "%.1f%%", v);
    return buf;
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

}  // namespace

std::string svg_plot(const std::string& title, const SweepResult* sweep, const std::vector<PlotPoint>& points) {
    // y range: the data's span padded, snapped to tenths, within [0, 1].
    double lo = 1, hi = 0;
    auto see = [&](double q) { lo = std::min(lo, q); hi = std::max(hi, q); };
    if (sweep) for (const auto& p : sweep->curve) see(p.quality);
    if (sweep && sweep->n) { see(sweep->small_quality); see(sweep->large_quality); }
    for (const auto& p : points) see(p.quality);
    if (lo > hi) { lo = 0; hi = 1; }
    lo = std::max(0.0, std::floor(lo * 10 - 1) / 10);
    hi = std::min(1.0, std::ceil(hi * 10 + 1) / 10);
    if (hi - lo < 0.2) hi = std::min(1.0, lo + 0.2), lo = hi - 0.2;
    const double pw = W - L - R, ph = H - T - B;
    auto X = [&](double share) { return L + std::clamp(share, 0.0, 1.0) * pw; };
    auto Y = [&](double q) { return T + (1 - (std::clamp(q, lo, hi) - lo) / (hi - lo)) * ph; };

    std::ostringstream s;
    s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W
      << " " << H << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"" << W << "\" height=\"" << H << "\" fill=\"white\"/>\n"
      << "<text x=\"" << W / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">" << xml_escape(title) << "</text>\n";
    // Grid and ticks.
    for (int i = 0; i <= 5; ++i) {
        const double share = i / 5.0, q = lo + (hi - lo) * i / 5.0;
        s << "<line x1=\"" << num(X(share)) << "\" y1=\"" << T << "\" x2=\"" << num(X(share)) << "\" y2=\"" << T + ph
          << "\" stroke=\"#e5e5e5\"/>\n"
          << "<text x=\"" << num(X(share)) << "\" y=\"" << T + ph + 18 << "\" text-anchor=\"middle\">" << pct_label(share) << "</text>\n"
          << "<line x1=\"" << L << "\" y1=\"" << num(Y(q)) << "\" x2=\"" << L + pw << "\" y2=\"" << num(Y(q)) << "\" stroke=\"#e5e5e5\"/>\n"
          << "<text x=\"" << L - 8 << "\" y=\"" << num(Y(q) + 4) << "\" text-anchor=\"end\">" << pct_label(q) << "</text>\n";
    }
    s << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\"" << ph << "\" fill=\"none\" stroke=\"#333\"/>\n"
      << "<text x=\"" << L + pw / 2 << "\" y=\"" << H - 18 << "\" text-anchor=\"middle\">share of requests sent to the large tier</text>\n"
      << "<text transform=\"translate(18 " << T + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">quality</text>\n";
    double ly = T + 10;
    auto legend = [&](const std::string& swatch, const std::string& label) {
        s << swatch << "<text x=\"" << L + pw + 34 << "\" y=\"" << num(ly + 4) << "\">" << xml_escape(label) << "</text>\n";
        ly += 20;
    };
    if (sweep && sweep->n) {
        // Random routing: the straight line from always-small to always-large.
        const std::string dash = "<line x1=\"" + num(X(0)) + "\" y1=\"" + num(Y(sweep->small_quality)) + "\" x2=\"" + num(X(1)) +
                                 "\" y2=\"" + num(Y(sweep->large_quality)) + "\" stroke=\"#999\" stroke-dasharray=\"6 4\"/>\n";
        s << dash;
        legend("<line x1=\"" + num(L + pw + 10) + "\" y1=\"" + num(ly) + "\" x2=\"" + num(L + pw + 28) + "\" y2=\"" + num(ly) +
                   "\" stroke=\"#999\" stroke-dasharray=\"6 4\"/>",
               "random routing");
        s << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
        for (const auto& p : sweep->curve) s << num(X(p.large_share)) << "," << num(Y(p.quality)) << " ";
        s << "\"/>\n";
        legend("<line x1=\"" + num(L + pw + 10) + "\" y1=\"" + num(ly) + "\" x2=\"" + num(L + pw + 28) + "\" y2=\"" + num(ly) +
                   "\" stroke=\"#1f77b4\" stroke-width=\"2\"/>",
               "threshold sweep");
    }
    static const char* colors[] = {"#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
    for (std::size_t i = 0; i < points.size(); ++i) {
        const char* c = colors[i % 7];
        s << "<circle cx=\"" << num(X(points[i].large_share)) << "\" cy=\"" << num(Y(points[i].quality)) << "\" r=\"5\" fill=\"" << c
          << "\"/>\n";
        legend("<circle cx=\"" + num(L + pw + 19) + "\" cy=\"" + num(ly) + "\" r=\"5\" fill=\"" + c + "\"/>", points[i].label);
    }
    s << "</svg>\n";
    return s.str();
}

}  // namespace switchyard::eval

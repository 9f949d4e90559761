#include "koko/core/messages.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "koko/core/error.hpp"

namespace koko {
namespace {

struct Message {
  std::string_view key;
  std::string_view en;
  std::string_view ja;
};

// Sorted by key (checked below). Placeholders are identical in both languages; positional {0} {1} let the
// Japanese word order differ from the English one.
constexpr std::array kCatalogue = {
    Message{"cli.progress_rows", "rows", "行"},
    Message{"cli.skipped_analysis", "skipped {0}: needs {1}", "{0} をスキップしました（{1} が必要です）"},
    Message{"clv.actual", "Actual", "実績"},
    Message{"clv.boundary", "no-dropout boundary: NBD used", "離脱なしの境界（NBDで予測）"},
    Message{"clv.calibration", "Calibration period: {0} to {1}; holdout to {2}.",
            "推定期間：{0}〜{1}、検証期間：{2}まで。"},
    Message{"clv.calibration_x", "Repeat purchase days in calibration", "推定期間のリピート購入日数"},
    Message{"clv.clv", "CLV", "顧客生涯価値（CLV）"},
    Message{"clv.cumulative", "Cumulative repeat purchases", "累積リピート購入数"},
    Message{"clv.customer", "Customer", "顧客"},
    Message{"clv.customers", "Customers", "顧客数"},
    Message{"clv.decile", "Decile of customers by CLV", "CLV順の顧客十分位"},
    Message{"clv.decile_chart", "Share of total CLV by customer decile", "顧客十分位別のCLV構成比"},
    Message{"clv.expected", "Expected purchases", "予測購入回数"},
    Message{"clv.finding_data",
            "{0} customers, of whom {1} bought again ({2} repeat purchase days); time is measured in {3}.",
            "顧客{0}人のうち{1}人が再購入しています（リピート購入日数{2}）。時間の単位は{3}です。"},
    Message{"clv.finding_validation",
            "{0}: {2:.0f} purchases expected in the holdout against {1:.0f} actual ({3:+.1f}%); mean absolute error "
            "{4:.3f} per customer; cumulative curve off by {5:.1f}% on average in the holdout.",
            "{0}：検証期間の予測購入数{2:.0f}に対して実績{1:.0f}（誤差{3:+.1f}%）。顧客あたり平均絶対誤差{4:.3f}、"
            "累積曲線の検証期間の平均誤差{5:.1f}%。"},
    Message{"clv.finding_value",
            "Total customer lifetime value {0}; on average a customer is alive with probability {1:.0f}%; {2:.0f} "
            "purchases are expected in the next {3:g} {4}.",
            "顧客生涯価値の合計は{0}です。顧客が離脱していない確率は平均{1:.0f}%で、今後{3:g}{4}に{2:.0f}回の購入が"
            "予測されます。"},
    Message{"clv.frequency_chart", "Holdout purchases by calibration frequency", "推定期間の購入頻度別・検証期間の購入数"},
    Message{"clv.holdout_purchases", "Mean holdout purchases", "検証期間の平均購入数"},
    Message{"clv.intro",
            "Customer lifetime value grows when customers stay and buy again. Probability models of repeat buying "
            "estimate, from each customer's purchase history, whether they are still active, how often they will "
            "buy and what they are worth.",
            "顧客生涯価値は、顧客が離れずに再び買うことで育ちます。リピート購買の確率モデルにより、各顧客の購買履歴から"
            "まだ活動しているか、今後どれだけ買うか、どれだけの価値があるかを推定します。"},
    Message{"clv.log_likelihood", "Log-likelihood", "対数尤度"},
    Message{"clv.model", "Model", "モデル"},
    Message{"clv.models_title", "Fitted models", "推定したモデル"},
    Message{"clv.order_value", "Expected order value", "予測平均購入額"},
    Message{"clv.parameters", "Parameters (± standard error)", "パラメータ（±標準誤差）"},
    Message{"clv.segment", "Segment", "セグメント"},
    Message{"clv.segments_title", "CLV by segment", "セグメント別CLV"},
    Message{"clv.share", "Share of CLV", "CLV構成比"},
    Message{"clv.status", "Status", "状態"},
    Message{"clv.title", "Customer lifetime value", "顧客生涯価値（CLV）"},
    Message{"clv.tracking_chart", "Cumulative repeat purchases: actual and expected", "累積リピート購入数：実績と予測"},
    Message{"clv.unit_day", "days", "日"},
    Message{"clv.unit_week", "weeks", "週"},
    Message{"clv.validation_title", "Calibration and holdout", "推定期間と検証期間"},
    Message{"clv.value_note",
            "CLV = margin ({1:g}%) × expected order value × discounted expected purchases at {0:g}% a year "
            "(Pareto/NBD: closed-form DERT, no horizon; other models: monthly sum over {2:g} years).",
            "CLV＝利益率（{1:g}%）×予測平均購入額×割引後の予測購入回数（年率{0:g}%で割引。Pareto/NBDは期間の制限のない"
            "閉形式のDERT、その他のモデルは{2:g}年間の月次の和）。"},
    Message{"clv.value_title", "Customer lifetime value", "顧客生涯価値"},
    Message{"clv.week_ending", "Week ending", "週の最終日"},
    Message{"overview.active_customers", "Active customers", "購入顧客数"},
    Message{"overview.censored_note",
            "The first cohort is left-censored: it holds everyone who bought before the data starts, not only new "
            "customers.",
            "最初のコホートには、データ開始より前から購入していた顧客もすべて含まれます（左側打ち切り）。新規顧客だけの"
            "集団ではありません。"},
    Message{"overview.cohort", "First-purchase month", "初回購入月"},
    Message{"overview.cohort_size", "Customers", "顧客数"},
    Message{"overview.cohort_title", "Cohort retention", "コホート別の継続購入率"},
    Message{"overview.concentration_title", "Revenue concentration", "売上の集中度"},
    Message{"overview.converted", "Bought again", "再購入した顧客数"},
    Message{"overview.customer_share", "Share of customers", "顧客に占める割合"},
    Message{"overview.customers", "Customers", "顧客数"},
    Message{"overview.date_range", "Date range", "期間"},
    Message{"overview.eligible", "Observed customers", "観測対象の顧客数"},
    Message{"overview.finding_cohort",
            "In month 1 after their first purchase, {0:.0f}% of customers bought again (average over cohorts).",
            "初回購入の翌月（1か月目）に再び購入した顧客は、コホート平均で{0:.0f}%でした。"},
    Message{"overview.finding_concentration", "The top {0:.0f}% of customers bring {1:.0f}% of net revenue.",
            "上位{0:.0f}%の顧客が、純売上の{1:.0f}%を占めています。"},
    Message{"overview.finding_median_second",
            "Those who came back took a median of {0:.0f} days to make their second purchase.",
            "再購入した顧客が2回目の購入に至るまでの日数は、中央値で{0:.0f}日でした。"},
    Message{"overview.finding_monthly", "The busiest month was {0} with {1} orders.",
            "注文が最も多かったのは{0}で、{1}件でした。"},
    Message{"overview.finding_repeat", "{0:.0f}% of customers bought on more than one day ({1} of {2}).",
            "顧客の{0:.0f}%（{2}人中{1}人）が、2日以上にわたって購入しています。"},
    Message{"overview.finding_second",
            "{0:.0f}% of first-time buyers observed for {1} days bought again within {1} days.",
            "初回購入後{1}日間を観測できた顧客のうち、{0:.0f}%が{1}日以内に再購入しました。"},
    Message{"overview.finding_totals", "{0} customers placed {1} orders between {2} and {3}, for net revenue of {4}.",
            "{2}から{3}までに{0}人の顧客が{1}件の注文を行い、純売上は{4}でした。"},
    Message{"overview.gross_revenue", "Gross revenue", "総売上"},
    Message{"overview.guest_orders", "Guest orders", "ゲスト注文数"},
    Message{"overview.intro",
            "The first step in customer-first marketing is to see your own challenge in numbers: who buys, how "
            "many come back, and where the revenue comes from.",
            "顧客起点マーケティングの第一歩は、誰が買い、どれだけの顧客が再び買い、売上がどこから生まれているのか"
            "という自社の課題を、数字で捉えることです。"},
    Message{"overview.lorenz_title", "Lorenz curve of net revenue", "純売上のローレンツ曲線"},
    Message{"overview.metric", "Metric", "指標"},
    Message{"overview.month", "Month", "年月"},
    Message{"overview.monthly_title", "Orders and revenue per month", "月別の注文数と売上"},
    Message{"overview.months_since", "Months since first purchase", "初回購入からの経過月数"},
    Message{"overview.net_revenue", "Net revenue", "純売上"},
    Message{"overview.new_customers", "New customers", "新規顧客数"},
    Message{"overview.orders", "Orders", "注文数"},
    Message{"overview.rate", "Rate", "転換率"},
    Message{"overview.repeat_title", "Repeat rate", "リピート率"},
    Message{"overview.returned_amount", "Returned amount", "返品額"},
    Message{"overview.returns", "Returns", "返品数"},
    Message{"overview.revenue_share", "Share of revenue", "売上に占める割合"},
    Message{"overview.second_title", "Second-purchase conversion", "2回目購入への転換率（F2転換率）"},
    Message{"overview.title", "Overview and diagnosis", "データ概要と診断"},
    Message{"overview.top_share", "Top customers", "上位顧客"},
    Message{"overview.value", "Value", "値"},
    Message{"overview.window_days", "Window (days)", "期間（日）"},
    Message{"report.csv_link", "CSV", "CSV"},
    Message{"report.generated_by", "Made with koko {0}", "koko {0} で作成"},
    Message{"report.setting", "Setting", "設定項目"},
    Message{"report.settings", "Settings used", "使用した設定"},
    Message{"report.skipped", "Not run: {0}", "未実行：{0}"},
    Message{"report.subtitle", "Data as of {0}", "データ基準日：{0}"},
    Message{"report.title", "Customer-first report", "顧客起点レポート"},
    Message{"report.toc", "Contents", "目次"},
    Message{"report.value", "Value", "値"},
};

constexpr bool sorted_and_unique() {
  for (size_t i = 1; i < kCatalogue.size(); ++i) {
    if (!(kCatalogue[i - 1].key < kCatalogue[i].key)) return false;
  }
  return true;
}
static_assert(sorted_and_unique(), "keep kCatalogue sorted by key, without duplicates");

// The first non-empty of the POSIX locale variables decides, as setlocale would.
std::string_view locale_from_env() {
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return {};
}

}  // namespace

Lang parse_lang(std::string_view s) {
  if (s == "en") return Lang::en;
  if (s == "ja") return Lang::ja;
  throw Error(ErrorCode::usage, fmt::format("unknown language '{}'", s), {}, "use --lang en or --lang ja");
}

Lang default_lang() { return locale_from_env().starts_with("ja") ? Lang::ja : Lang::en; }

std::string_view msg(Lang lang, std::string_view key) {
  const auto* it = std::lower_bound(kCatalogue.begin(), kCatalogue.end(), key,
                                    [](const Message& m, std::string_view k) { return m.key < k; });
  if (it == kCatalogue.end() || it->key != key) {
    throw Error(ErrorCode::internal, fmt::format("unknown message key '{}'", key));
  }
  return lang == Lang::ja ? it->ja : it->en;
}

}  // namespace koko

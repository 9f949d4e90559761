// Lexicon peers for bench/voice_peers.py: VADER (vader-sentiment), AFINN-165 (sentiment) and negaposi.
// Usage: node bench/voice_peers.js IN.json OUT.json   (IN: {"en": [texts], "ja": [texts]})
// Prints nothing; OUT holds each method's scores and its seconds of scoring (for MB/s).
const fs = require("fs");
const path = require("path");
const peers = process.env.KOKO_PEERS || path.join(__dirname, "out", "peers", "node_modules");
const vader = require(path.join(peers, "vader-sentiment"));
const Sentiment = require(path.join(peers, "sentiment"));
const { analyzeNegaposi } = require(path.join(peers, "negaposi"));

const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = {};
function timed(name, texts, f) {
  const t0 = process.hrtime.bigint();
  const scores = texts.map(f);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  out[name] = { scores, seconds };
}
timed("vader", input.en, (t) => vader.SentimentIntensityAnalyzer.polarity_scores(t).compound);
const afinn = new Sentiment();
timed("afinn", input.en, (t) => afinn.analyze(t).score);
timed("negaposi", input.ja, (t) => analyzeNegaposi({ text: t }));
fs.writeFileSync(process.argv[3], JSON.stringify(out));

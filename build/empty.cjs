// Stands in, at bundle time, for modules a Lambda never runs (see scripts/build.ts).
module.exports = {};

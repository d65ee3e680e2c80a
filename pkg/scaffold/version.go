package scaffold

// Version of dsoi-gen, recorded in every generated project. It is a constant, not build
// information, so the same input gives the same bytes wherever dsoi-gen was built.
const Version = "0.4.0"

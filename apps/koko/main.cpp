#include <cstdio>
int main() { std::puts("koko"); return 0; }

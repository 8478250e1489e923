#include <drop>

namespace widgets { // keep

int unrelated_before(int x) { // drop
  x = x + 0; // drop
  x = x + 1; // drop
  x = x + 2; // drop
  x = x + 3; // drop
  x = x + 4; // drop
  x = x + 5; // drop
  x = x + 6; // drop
  x = x + 7; // drop
  x = x + 8; // drop
  x = x + 9; // drop
  x = x + 10; // drop
  x = x + 11; // drop
  x = x + 12; // drop
  x = x + 13; // drop
  x = x + 14; // drop
  x = x + 15; // drop
  x = x + 16; // drop
  x = x + 17; // drop
  x = x + 18; // drop
  x = x + 19; // drop
  x = x + 20; // drop
  x = x + 21; // drop
  x = x + 22; // drop
  x = x + 23; // drop
  x = x + 24; // drop
  x = x + 25; // drop
  x = x + 26; // drop
  x = x + 27; // drop
  x = x + 28; // drop
  x = x + 29; // drop
  x = x + 30; // drop
  x = x + 31; // drop
  x = x + 32; // drop
  x = x + 33; // drop
  x = x + 34; // drop
  x = x + 35; // drop
  x = x + 36; // drop
  x = x + 37; // drop
  x = x + 38; // drop
  x = x + 39; // drop
  x = x + 40; // drop
  x = x + 41; // drop
  x = x + 42; // drop
  x = x + 43; // drop
  x = x + 44; // drop
  x = x + 45; // drop
  x = x + 46; // drop
  x = x + 47; // drop
  x = x + 48; // drop
  x = x + 49; // drop
  x = x + 50; // drop
  x = x + 51; // drop
  x = x + 52; // drop
  x = x + 53; // drop
  x = x + 54; // drop
  x = x + 55; // drop
  x = x + 56; // drop
  x = x + 57; // drop
  x = x + 58; // drop
  x = x + 59; // drop
  return x; // drop
} // drop

template <typename T> // keep
class Widget : public Base { // keep
 public:
  int other() const { return drop_size_; } // drop

  // The long one: keep
  int long_method(int keep0) { // keep
    int keep1 = compute(keep0);
    int keep2 = compute(keep1);
    int keep3 = compute(keep2);
    int keep4 = compute(keep3);
    int keep5 = compute(keep4);
    int keep6 = compute(keep5);
    int keep7 = compute(keep6);
    int keep8 = compute(keep7);
    int keep9 = compute(keep8);
    int keep10 = compute(keep9);
    int keep11 = compute(keep10);
    int keep12 = compute(keep11);
    int keep13 = compute(keep12);
    int keep14 = compute(keep13);
    int keep15 = compute(keep14);
    int keep16 = compute(keep15);
    int keep17 = compute(keep16);
    int keep18 = compute(keep17);
    int keep19 = compute(keep18);
    int keep20 = compute(keep19);
    int keep21 = compute(keep20);
    int keep22 = compute(keep21);
    int keep23 = compute(keep22);
    int keep24 = compute(keep23);
    int keep25 = compute(keep24) + 1;
    int keep26 = compute(keep25);
    int keep27 = compute(keep26);
    int keep28 = compute(keep27);
    int keep29 = compute(keep28);
    int keep30 = compute(keep29);
    int keep31 = compute(keep30);
    int keep32 = compute(keep31);
    int keep33 = compute(keep32);
    int keep34 = compute(keep33);
    int keep35 = compute(keep34);
    int keep36 = compute(keep35);
    int keep37 = compute(keep36);
    int keep38 = compute(keep37);
    int keep39 = compute(keep38);
    int keep40 = compute(keep39);
    int keep41 = compute(keep40);
    int keep42 = compute(keep41);
    int keep43 = compute(keep42);
    int keep44 = compute(keep43);
    int keep45 = compute(keep44);
    int keep46 = compute(keep45);
    int keep47 = compute(keep46);
    int keep48 = compute(keep47);
    int keep49 = compute(keep48);
    int keep50 = compute(keep49);
    return keep50; // keep
  } // keep

  void after() { // drop
    std::puts("drop 0");
    std::puts("drop 1");
    std::puts("drop 2");
    std::puts("drop 3");
    std::puts("drop 4");
    std::puts("drop 5");
    std::puts("drop 6");
    std::puts("drop 7");
    std::puts("drop 8");
    std::puts("drop 9");
    std::puts("drop 10");
    std::puts("drop 11");
    std::puts("drop 12");
    std::puts("drop 13");
    std::puts("drop 14");
    std::puts("drop 15");
    std::puts("drop 16");
    std::puts("drop 17");
    std::puts("drop 18");
    std::puts("drop 19");
    std::puts("drop 20");
    std::puts("drop 21");
    std::puts("drop 22");
    std::puts("drop 23");
    std::puts("drop 24");
    std::puts("drop 25");
    std::puts("drop 26");
    std::puts("drop 27");
    std::puts("drop 28");
    std::puts("drop 29");
    std::puts("drop 30");
    std::puts("drop 31");
    std::puts("drop 32");
    std::puts("drop 33");
    std::puts("drop 34");
    std::puts("drop 35");
    std::puts("drop 36");
    std::puts("drop 37");
    std::puts("drop 38");
    std::puts("drop 39");
    std::puts("drop 40");
    std::puts("drop 41");
    std::puts("drop 42");
    std::puts("drop 43");
    std::puts("drop 44");
    std::puts("drop 45");
    std::puts("drop 46");
    std::puts("drop 47");
    std::puts("drop 48");
    std::puts("drop 49");
    std::puts("drop 50");
    std::puts("drop 51");
    std::puts("drop 52");
    std::puts("drop 53");
    std::puts("drop 54");
    std::puts("drop 55");
    std::puts("drop 56");
    std::puts("drop 57");
    std::puts("drop 58");
    std::puts("drop 59");
  } // drop
 private:
  int drop_size_ = 3;
}; // drop

}  // namespace widgets (drop)

package drop;

public class Widget extends Base { // keep
    private int dropSize = 3;

    int unrelatedBefore(int x) { // drop
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

    /** The long one: keep */
    @Override // keep
    public int longMethod(int keep0) { // keep
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
        int keep25 = compute(keep24);
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

    void unrelatedAfter() { // drop
        System.out.println("drop 0");
        System.out.println("drop 1");
        System.out.println("drop 2");
        System.out.println("drop 3");
        System.out.println("drop 4");
        System.out.println("drop 5");
        System.out.println("drop 6");
        System.out.println("drop 7");
        System.out.println("drop 8");
        System.out.println("drop 9");
        System.out.println("drop 10");
        System.out.println("drop 11");
        System.out.println("drop 12");
        System.out.println("drop 13");
        System.out.println("drop 14");
        System.out.println("drop 15");
        System.out.println("drop 16");
        System.out.println("drop 17");
        System.out.println("drop 18");
        System.out.println("drop 19");
        System.out.println("drop 20");
        System.out.println("drop 21");
        System.out.println("drop 22");
        System.out.println("drop 23");
        System.out.println("drop 24");
        System.out.println("drop 25");
        System.out.println("drop 26");
        System.out.println("drop 27");
        System.out.println("drop 28");
        System.out.println("drop 29");
        System.out.println("drop 30");
        System.out.println("drop 31");
        System.out.println("drop 32");
        System.out.println("drop 33");
        System.out.println("drop 34");
        System.out.println("drop 35");
        System.out.println("drop 36");
        System.out.println("drop 37");
        System.out.println("drop 38");
        System.out.println("drop 39");
        System.out.println("drop 40");
        System.out.println("drop 41");
        System.out.println("drop 42");
        System.out.println("drop 43");
        System.out.println("drop 44");
        System.out.println("drop 45");
        System.out.println("drop 46");
        System.out.println("drop 47");
        System.out.println("drop 48");
        System.out.println("drop 49");
        System.out.println("drop 50");
        System.out.println("drop 51");
        System.out.println("drop 52");
        System.out.println("drop 53");
        System.out.println("drop 54");
        System.out.println("drop 55");
        System.out.println("drop 56");
        System.out.println("drop 57");
        System.out.println("drop 58");
        System.out.println("drop 59");
    } // drop
} // drop

use std::drop;

fn unrelated_before(x: i32) -> i32 { // drop
    let x = x + 0; // drop
    let x = x + 1; // drop
    let x = x + 2; // drop
    let x = x + 3; // drop
    let x = x + 4; // drop
    let x = x + 5; // drop
    let x = x + 6; // drop
    let x = x + 7; // drop
    let x = x + 8; // drop
    let x = x + 9; // drop
    let x = x + 10; // drop
    let x = x + 11; // drop
    let x = x + 12; // drop
    let x = x + 13; // drop
    let x = x + 14; // drop
    let x = x + 15; // drop
    let x = x + 16; // drop
    let x = x + 17; // drop
    let x = x + 18; // drop
    let x = x + 19; // drop
    let x = x + 20; // drop
    let x = x + 21; // drop
    let x = x + 22; // drop
    let x = x + 23; // drop
    let x = x + 24; // drop
    let x = x + 25; // drop
    let x = x + 26; // drop
    let x = x + 27; // drop
    let x = x + 28; // drop
    let x = x + 29; // drop
    let x = x + 30; // drop
    let x = x + 31; // drop
    let x = x + 32; // drop
    let x = x + 33; // drop
    let x = x + 34; // drop
    let x = x + 35; // drop
    let x = x + 36; // drop
    let x = x + 37; // drop
    let x = x + 38; // drop
    let x = x + 39; // drop
    let x = x + 40; // drop
    let x = x + 41; // drop
    let x = x + 42; // drop
    let x = x + 43; // drop
    let x = x + 44; // drop
    let x = x + 45; // drop
    let x = x + 46; // drop
    let x = x + 47; // drop
    let x = x + 48; // drop
    let x = x + 49; // drop
    let x = x + 50; // drop
    let x = x + 51; // drop
    let x = x + 52; // drop
    let x = x + 53; // drop
    let x = x + 54; // drop
    let x = x + 55; // drop
    let x = x + 56; // drop
    let x = x + 57; // drop
    let x = x + 58; // drop
    let x = x + 59; // drop
    x // drop
} // drop

impl Base for Widget { // keep
    fn other(&self) -> i32 { self.drop_size } // drop

    /// The long one: keep
    #[inline] // keep
    fn long_method(&self, keep0: i32) -> i32 { // keep
        let keep1 = compute(keep0);
        let keep2 = compute(keep1);
        let keep3 = compute(keep2);
        let keep4 = compute(keep3);
        let keep5 = compute(keep4);
        let keep6 = compute(keep5);
        let keep7 = compute(keep6);
        let keep8 = compute(keep7);
        let keep9 = compute(keep8);
        let keep10 = compute(keep9);
        let keep11 = compute(keep10);
        let keep12 = compute(keep11);
        let keep13 = compute(keep12);
        let keep14 = compute(keep13);
        let keep15 = compute(keep14);
        let keep16 = compute(keep15);
        let keep17 = compute(keep16);
        let keep18 = compute(keep17);
        let keep19 = compute(keep18);
        let keep20 = compute(keep19);
        let keep21 = compute(keep20);
        let keep22 = compute(keep21);
        let keep23 = compute(keep22);
        let keep24 = compute(keep23);
        let keep25 = compute(keep24);
        let keep26 = compute(keep25);
        let keep27 = compute(keep26);
        let keep28 = compute(keep27);
        let keep29 = compute(keep28);
        let keep30 = compute(keep29);
        let keep31 = compute(keep30);
        let keep32 = compute(keep31);
        let keep33 = compute(keep32);
        let keep34 = compute(keep33);
        let keep35 = compute(keep34);
        let keep36 = compute(keep35);
        let keep37 = compute(keep36);
        let keep38 = compute(keep37);
        let keep39 = compute(keep38);
        let keep40 = compute(keep39);
        let keep41 = compute(keep40);
        let keep42 = compute(keep41);
        let keep43 = compute(keep42);
        let keep44 = compute(keep43);
        let keep45 = compute(keep44);
        let keep46 = compute(keep45);
        let keep47 = compute(keep46);
        let keep48 = compute(keep47);
        let keep49 = compute(keep48);
        let keep50 = compute(keep49);
        keep50 // keep
    } // keep

    fn after(&self) { // drop
        println!("drop 0");
        println!("drop 1");
        println!("drop 2");
        println!("drop 3");
        println!("drop 4");
        println!("drop 5");
        println!("drop 6");
        println!("drop 7");
        println!("drop 8");
        println!("drop 9");
        println!("drop 10");
        println!("drop 11");
        println!("drop 12");
        println!("drop 13");
        println!("drop 14");
        println!("drop 15");
        println!("drop 16");
        println!("drop 17");
        println!("drop 18");
        println!("drop 19");
        println!("drop 20");
        println!("drop 21");
        println!("drop 22");
        println!("drop 23");
        println!("drop 24");
        println!("drop 25");
        println!("drop 26");
        println!("drop 27");
        println!("drop 28");
        println!("drop 29");
        println!("drop 30");
        println!("drop 31");
        println!("drop 32");
        println!("drop 33");
        println!("drop 34");
        println!("drop 35");
        println!("drop 36");
        println!("drop 37");
        println!("drop 38");
        println!("drop 39");
        println!("drop 40");
        println!("drop 41");
        println!("drop 42");
        println!("drop 43");
        println!("drop 44");
        println!("drop 45");
        println!("drop 46");
        println!("drop 47");
        println!("drop 48");
        println!("drop 49");
        println!("drop 50");
        println!("drop 51");
        println!("drop 52");
        println!("drop 53");
        println!("drop 54");
        println!("drop 55");
        println!("drop 56");
        println!("drop 57");
        println!("drop 58");
        println!("drop 59");
    } // drop
} // drop
